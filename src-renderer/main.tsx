import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Controller } from './state/controller';
import { createAppStore } from './state/store';
import { connect, readToken, saveToken, tokenStorage } from './transport/connect';
import type { Transport } from './transport/transport';
import { AppContext } from './views/app-context';
import { App } from './views/app';
import { loadThemePreference } from './views/theme';
import './styles/app.css';

const storage = tokenStorage();

const root = createRoot(document.getElementById('root') as HTMLElement);
let current: { transport: Transport; controller: Controller } | null = null;

/** (Re)connects with a token and renders the app on a fresh store. */
function boot(token: string | null): void {
  current?.controller.stop();
  current?.transport.close();
  const transport = connect(token);
  const store = createAppStore(transport.kind);
  store.getState().setTheme(loadThemePreference(window.localStorage ?? null));
  const controller = new Controller(transport, store);
  controller.start();
  current = { transport, controller };
  root.render(
    <StrictMode>
      <AppContext.Provider value={{ store, controller }}>
        <App
          onToken={(t) => {
            saveToken(storage, t);
            boot(t);
          }}
        />
      </AppContext.Provider>
    </StrictMode>,
  );
}

boot(readToken(window.location, storage, window.history));
