/** Renders job progress on a terminal: a bar redrawn in place on a TTY, plain lines otherwise. */
export interface ProgressView {
  update(state: { phase: string; done: number; total: number; rows: number; failed: number }): void;
  end(): void;
}

export function createProgressView(
  out: NodeJS.WriteStream = process.stderr,
  label = 'job',
  unit = 'rows',
): ProgressView {
  const started = Date.now();
  const tty = out.isTTY === true;
  let lastLine = '';
  let lastPrinted = -1;
  return {
    update({ phase, done, total, rows, failed }) {
      const seconds = (Date.now() - started) / 1000;
      const fraction = total > 0 ? done / total : 0;
      const width = 30;
      const filled = Math.round(fraction * width);
      const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
      const eta = fraction > 0 && fraction < 1 ? ` eta ${Math.max(0, Math.round(seconds / fraction - seconds))}s` : '';
      const line = `${label} ${phase.padEnd(9)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} shards${failed ? ` (${failed} failed)` : ''}  ${rate.toLocaleString('en-US')} ${unit}/s${eta}`;
      if (tty) {
        if (line !== lastLine) out.write(`\r${line}\u001b[K`);
      } else {
        const step = Math.floor(fraction * 10);
        if (step !== lastPrinted || phase !== lastLine.split(' ')[1]) {
          out.write(`${line}\n`);
          lastPrinted = step;
        }
      }
      lastLine = line;
    },
    end() {
      if (tty && lastLine !== '') out.write('\n');
    },
  };
}
