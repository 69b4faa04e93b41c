import { describe, expect, it } from 'vitest';
import { decodeStyleMessage } from '../../src/usecases/video/styleRange.js';

const range = {
  start: 4,
  end: 8,
  seekSeconds: 0.35,
  stream: { index: 0, width: 64, height: 48, rate: { num: 100, den: 7 } },
};
const body = {
  kind: 'style',
  jobId: 'j1',
  shardId: 'f000000004-000000008',
  range,
  model: { name: 'toon', version: 1, sha256: 'ab' },
  fit: 'stretch',
};

function decodeError(message: unknown): unknown {
  try {
    decodeStyleMessage(message);
  } catch (thrown) {
    return thrown;
  }
  return undefined;
}

describe('decodeStyleMessage', () => {
  it("takes a constant-rate range, and a variable-rate one with its frames' times", () => {
    expect(decodeStyleMessage(body)).toEqual(body);
    const timed = { ...body, range: { ...range, ticks: [0, 100_000, 150_000, 200_000, 250_000] } };
    expect(decodeStyleMessage(timed).range.ticks).toEqual([0, 100_000, 150_000, 200_000, 250_000]);
  });

  it.each([
    ['one time short', [0, 100_000, 150_000, 200_000]],
    ['not from 0', [5, 100_000, 150_000, 200_000, 250_000]],
    ['not increasing', [0, 100_000, 100_000, 200_000, 250_000]],
    ['not whole microseconds', [0, 100_000.5, 150_000, 200_000, 250_000]],
    ['not a list', '0,1,2,3,4'],
  ])('refuses frame times %s, naming the message', (_why, ticks) => {
    expect(decodeError({ ...body, range: { ...range, ticks } })).toMatchObject({
      code: 'MalformedMessage',
      message: expect.stringMatching(/^malformed style message: .*"shardId":"f000000004-000000008"/),
    });
  });

  it('takes a keyframe seek with its end, or without one for a range that runs to the end', () => {
    const keyed = { ...range, keyframeSeekSeconds: 0.45, endSeconds: 0.75 };
    expect(decodeStyleMessage({ ...body, range: keyed }).range).toEqual(keyed);
    const { endSeconds: _, ...toEnd } = keyed;
    expect(decodeStyleMessage({ ...body, range: toEnd }).range).toEqual(toEnd);
    // An end without a keyframe seek, and one from frame 0.
    const ended = { ...range, endSeconds: 0.75 };
    expect(decodeStyleMessage({ ...body, range: ended }).range).toEqual(ended);
    const fromZero = { ...range, start: 0, seekSeconds: null, endSeconds: 0.75 };
    expect(decodeStyleMessage({ ...body, range: fromZero }).range).toEqual(fromZero);
  });

  it.each([
    ['a keyframe seek before the range seek', { ...range, keyframeSeekSeconds: 0.3 }],
    ['a keyframe seek at frame 0', { ...range, seekSeconds: null, keyframeSeekSeconds: 0.45 }],
    ['a keyframe seek that is not a number', { ...range, keyframeSeekSeconds: '0.45' }],
    ['an end before the keyframe seek', { ...range, keyframeSeekSeconds: 0.45, endSeconds: 0.4 }],
    ['an end before the range seek', { ...range, endSeconds: 0.3 }],
    ['an end that is not finite', { ...range, keyframeSeekSeconds: 0.45, endSeconds: Infinity }],
  ])('refuses %s', (_why, r) => {
    expect(decodeError({ ...body, range: r })).toMatchObject({ code: 'MalformedMessage' });
  });

  it.each([
    ['an empty range', { ...range, end: 4 }],
    ['a negative start', { ...range, start: -1 }],
    ['no stream', { ...range, stream: undefined }],
    ['a stream without a rate', { ...range, stream: { index: 0, width: 64, height: 48 } }],
    ['the old loose fields instead of a range', undefined],
  ])('refuses %s', (_why, r) => {
    expect(decodeError({ ...body, range: r })).toMatchObject({ code: 'MalformedMessage' });
  });
});

describe('decodeStyleMessage: the source colour', () => {
  const withColor = (color: unknown) => ({ ...body, range: { ...range, stream: { ...range.stream, color } } });

  it('takes a colour description of ffmpeg names, or none', () => {
    const color = { space: 'bt470bg', range: 'pc', primaries: 'bt470bg', transfer: 'smpte170m' };
    expect(decodeStyleMessage(withColor(color)).range.stream.color).toEqual(color);
    expect(decodeStyleMessage(withColor({})).range.stream.color).toEqual({});
  });

  it.each([
    ['a range that is not tv or pc', { range: 'full' }],
    ['something that would be an ffmpeg option', { space: 'bt709 -vf evil' }],
    ['not an object', 'bt709'],
  ])('refuses %s', (_why, color) => {
    expect(decodeError(withColor(color))).toMatchObject({ code: 'MalformedMessage' });
  });
});
