import { afterAll, describe, expect, it } from 'vitest';
import { cliHome, runCli } from '../support/cli.js';

describe('TESSERA_SCORE_CRON is checked only where it is used', () => {
  const bad = cliHome({ TESSERA_SCORE_CRON: 'every hour' });
  afterAll(() => bad.cleanup());

  it('a bad value does not stop status (or any command that does not schedule)', async () => {
    const result = await runCli(bad, ['status']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('a bad value stops up at once, exit 2, naming the setting and the reason', async () => {
    const result = await runCli(bad, ['up']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/TESSERA_SCORE_CRON.*cron "every hour"/);
    expect(result.stdout).not.toContain('tessera runtime up');
  });
});
