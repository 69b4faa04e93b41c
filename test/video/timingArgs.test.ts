import { describe, expect, it } from 'vitest';
import { fitGeometry } from '../../src/core/framePlan.js';
import { encodeArgs, passthroughArgs, ticksExpression } from '../../src/video/ffmpeg/args.js';

/** Evaluates a setpts expression of ours for frame n, as ffmpeg would: `if(lt(N,k),a,b)`, `t+(N-k)*d` or `t`. */
function evaluate(expression: string, n: number): number {
  let at = 0;
  const eat = (text: string) => {
    if (!expression.startsWith(text, at)) throw new Error(`expected ${text} at ${at} of ${expression}`);
    at += text.length;
  };
  const int = () => {
    const digits = /^\d+/.exec(expression.slice(at))?.[0] ?? '';
    if (!digits) throw new Error(`expected a number at ${at} of ${expression}`);
    at += digits.length;
    return Number(digits);
  };
  const term = (): number => {
    if (expression.startsWith('if(', at)) {
      eat('if(lt(N,');
      const k = int();
      eat('),');
      const a = term();
      eat(',');
      const b = term();
      eat(')');
      return n < k ? a : b;
    }
    const t = int();
    if (!expression.startsWith('+', at)) return t;
    eat('+(N-');
    const k = int();
    eat(')*');
    return t + (n - k) * int();
  };
  const value = term();
  if (at !== expression.length) throw new Error(`trailing text at ${at} of ${expression}`);
  return value;
}

describe('variable-rate segment timing', () => {
  it('puts every frame at its time: runs of equal intervals stay one term', () => {
    const ticks = [0, 100_000, 200_000, 300_000, 350_000, 400_000, 450_000, 451_000, 700_000];
    const expression = ticksExpression(ticks);
    expect(ticks.map((_, n) => evaluate(expression, n))).toEqual(ticks);
    expect(expression.match(/\*/g)).toHaveLength(3); // three runs with an interval, and the last frame alone
    // 300 irregular frames (the default range cap): still exact, and short enough for one argument.
    let t = 0;
    const irregular = Array.from({ length: 300 }, (_, i) => (t += 1000 + ((i * 7919) % 97)));
    const long = ticksExpression(irregular);
    expect(irregular.map((_, n) => evaluate(long, n))).toEqual(irregular);
    expect(long.length).toBeLessThan(20_000);
  });

  it('stamps the frames in a microsecond time base through filter, encoder and track, and leaves constant-rate segments as they were', () => {
    const fit = fitGeometry(64, 48, undefined, 'stretch');
    const o = { width: 64, height: 48, fit, rate: { num: 100, den: 7 }, settings: { crf: 23, preset: 'veryfast' } };
    // Frames at 0, 100 and 150 ms, the range 250 ms long (the last number is its length, not a frame).
    const vfr = encodeArgs('out.mp4', { ...o, ticks: [0, 100_000, 150_000, 250_000] });
    expect(vfr[vfr.indexOf('-vf') + 1]).toBe(
      "settb=1/1000000,setpts='if(lt(N,2),0+(N-0)*100000,150000)',scale=64:48:flags=bicubic:out_color_matrix=bt601:out_range=limited",
    );
    expect(vfr.join(' ')).toContain('-fps_mode passthrough -enc_time_base 1/1000000 -video_track_timescale 1000000');
    const cfr = encodeArgs('out.mp4', o);
    expect(cfr[cfr.indexOf('-vf') + 1]).toBe('scale=64:48:flags=bicubic:out_color_matrix=bt601:out_range=limited');
    expect(cfr).not.toContain('-enc_time_base');
    const pass = passthroughArgs('in.mp4', 'out.mp4', {
      ...o,
      streamIndex: 0,
      seekSeconds: undefined,
      count: 3,
      ticks: [0, 100_000, 150_000, 250_000],
    });
    expect(pass[pass.indexOf('-vf') + 1]).toMatch(
      /^settb=1\/1000000,setpts='if\(lt\(N,2\),0\+\(N-0\)\*100000,150000\)',scale=/,
    );
  });

  it('a range too irregular to pass to ffmpeg fails permanently, naming the range and the setting', () => {
    let t = 0;
    const ticks = Array.from({ length: 20_001 }, (_, i) => (t += 1000 + ((i * 7919) % 97)));
    ticks[0] = 0;
    const fit = fitGeometry(64, 48, undefined, 'stretch');
    let error: unknown;
    try {
      encodeArgs('out.mp4', {
        width: 64,
        height: 48,
        fit,
        rate: { num: 30, den: 1 },
        settings: { crf: 23, preset: 'veryfast' },
        ticks,
        label: 'inbox/long.mkv frames [0, 20000)',
      });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({
      code: 'RangeTooIrregular',
      message: expect.stringMatching(
        /^inbox\/long\.mkv frames \[0, 20000\): .*too irregular.*TESSERA_VIDEO_MAX_SHARD_FRAMES/,
      ),
    });
  });
});
