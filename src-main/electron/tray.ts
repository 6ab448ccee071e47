import { Menu, Tray, nativeImage } from 'electron';
import type { RollupTick } from '../api/types/rollups';
import { trayRateLabel } from './tray-label';

/** A tray icon that keeps showing the current rate while the window is closed. */
export function createTray(iconPath: string, actions: { show: () => void; quit: () => void }): { update(tick: RollupTick): void; destroy(): void } {
  const tray = new Tray(nativeImage.createFromPath(iconPath));
  tray.setToolTip('Netmon');
  tray.setContextMenu(Menu.buildFromTemplate([
    { label: 'Show Netmon', click: actions.show },
    { type: 'separator' },
    { label: 'Quit', click: actions.quit },
  ]));
  tray.on('click', actions.show);
  return {
    update(tick) {
      let inBytes = 0;
      let outBytes = 0;
      for (const second of tick.interfaces) {
        inBytes += second.in.bytes;
        outBytes += second.out.bytes;
      }
      const label = trayRateLabel(inBytes, outBytes);
      tray.setToolTip(`Netmon  ${label}`);
      if (process.platform === 'darwin') tray.setTitle(label);
    },
    destroy: () => tray.destroy(),
  };
}
