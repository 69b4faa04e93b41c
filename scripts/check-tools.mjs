#!/usr/bin/env node
// `npm test`'s pretest: the system tools the tests drive for real. A missing one is installed when
// this runs as root with apt-get (Debian, as CI does), and otherwise named in one line before
// anything runs, with the command that installs it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const has = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const missing = () => [
  ...(has('ffmpeg') && has('ffprobe') ? [] : ['ffmpeg']),
  ...(existsSync(chromium) ? [] : ['chromium']),
];

let packages = missing();
if (packages.length > 0 && process.getuid?.() === 0 && has('apt-get')) {
  console.error(`npm test: installing ${packages.join(' and ')} (apt-get install -y ${packages.join(' ')})`);
  spawnSync('sh', ['-c', `apt-get update -qq && apt-get install -y -qq ${packages.join(' ')} >/dev/null`], {
    stdio: 'inherit',
  });
  packages = missing();
}
if (packages.length > 0) {
  console.error(
    `npm test needs ${packages.join(' and ')} (the video tests run ffmpeg, the dashboard tests headless chromium at ${chromium}, or CHROMIUM_PATH): apt-get install -y ${packages.join(' ')}`,
  );
  process.exit(1);
}
