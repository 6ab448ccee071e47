#!/usr/bin/env node
// Draws the app and tray icon (assets/icon.png, 256x256 RGBA): a rounded
// square with a traffic trace. Written as PNG by hand so no image tool is needed.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const size = 256;
const pixels = Buffer.alloc(size * size * 4);

function inRoundedSquare(x, y) {
  const r = 48;
  const cx = Math.min(Math.max(x, r), size - 1 - r);
  const cy = Math.min(Math.max(y, r), size - 1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

// The trace: a flat line with two peaks, like a rate chart.
function traceY(x) {
  const base = 160;
  const peak = (c, w, h) => h * Math.exp(-(((x - c) / w) ** 2));
  return base - peak(100, 14, 90) - peak(165, 10, 50);
}

for (let y = 0; y < size; y++) {
  for (let x = 0; x < size; x++) {
    const i = (y * size + x) * 4;
    if (!inRoundedSquare(x, y)) continue;
    const t = (x + y) / (2 * size);
    let [r, g, b] = [Math.round(20 + 20 * t), Math.round(60 + 60 * t), Math.round(120 + 80 * t)];
    if (x > 30 && x < 226) {
      const d = Math.abs(y - traceY(x));
      if (d < 7) [r, g, b] = [120, 240, 200];
      else if (y > traceY(x)) [r, g, b] = [r + 15, g + 35, b + 30];
    }
    pixels.set([r, g, b, 255], i);
  }
}

function crc32(buf) {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const header = Buffer.alloc(13);
header.writeUInt32BE(size, 0);
header.writeUInt32BE(size, 4);
header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
const raw = Buffer.alloc(size * (size * 4 + 1));
for (let y = 0; y < size; y++) pixels.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = path.join(__dirname, '..', 'assets', 'icon.png');
fs.writeFileSync(out, png);
console.log(`wrote ${out} (${png.length} bytes)`);
