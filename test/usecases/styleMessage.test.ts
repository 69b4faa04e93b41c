import { describe, expect, it } from 'vitest';
import { decodeStyleMessage } from '../../src/usecases/video/styleShard.js';

const body = {
  kind: 'style',
  jobId: 'j1',
  shardId: 'f000000004-000000008',
  start: 4,
  end: 8,
  seekSeconds: 0.35,
  model: { name: 'toon', version: 1, sha256: 'ab' },
  fit: 'stretch',
  video: { streamIndex: 0, width: 64, height: 48, rate: { num: 100, den: 7 } },
};

describe('decodeStyleMessage', () => {
  it("takes a constant-rate range, and a variable-rate one with its frames' times", () => {
    expect(decodeStyleMessage(body)).toEqual(body);
    const timed = { ...body, video: { ...body.video, ticks: [0, 100_000, 150_000, 200_000, 250_000] } };
    expect(decodeStyleMessage(timed).video.ticks).toEqual([0, 100_000, 150_000, 200_000, 250_000]);
  });

  it.each([
    ['one time short', [0, 100_000, 150_000, 200_000]],
    ['not from 0', [5, 100_000, 150_000, 200_000, 250_000]],
    ['not increasing', [0, 100_000, 100_000, 200_000, 250_000]],
    ['not whole microseconds', [0, 100_000.5, 150_000, 200_000, 250_000]],
    ['not a list', '0,1,2,3,4'],
  ])('refuses frame times %s, naming the message', (_why, ticks) => {
    let error: unknown;
    try {
      decodeStyleMessage({ ...body, video: { ...body.video, ticks } });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({
      code: 'MalformedMessage',
      message: expect.stringMatching(/^malformed style message: .*"shardId":"f000000004-000000008"/),
    });
  });
});

describe('decodeStyleMessage: the source colour', () => {
  it('takes a colour description of ffmpeg names, or none', () => {
    const color = { space: 'bt470bg', range: 'pc', primaries: 'bt470bg', transfer: 'smpte170m' };
    expect(decodeStyleMessage({ ...body, video: { ...body.video, color } }).video.color).toEqual(color);
    expect(decodeStyleMessage({ ...body, video: { ...body.video, color: {} } }).video.color).toEqual({});
  });

  it.each([
    ['a range that is not tv or pc', { range: 'full' }],
    ['something that would be an ffmpeg option', { space: 'bt709 -vf evil' }],
    ['not an object', 'bt709'],
  ])('refuses %s', (_why, color) => {
    expect(() => decodeStyleMessage({ ...body, video: { ...body.video, color } })).toThrow(/^malformed style message/);
  });
});
