/** Where a command writes: stdout for results, stderr for progress and diagnostics. */
export interface CliIo {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly err: NodeJS.WriteStream;
}

export const processIo: CliIo = { out: process.stdout, err: process.stderr };

export function println(io: CliIo, text = ''): void {
  io.out.write(`${text}\n`);
}
