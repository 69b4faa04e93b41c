import { describe, expect, it } from 'vitest';
import { frameTimingOf } from '../../src/core/frameRate.js';

const ms = { num: 1, den: 1000 };
/** `n` frames at `fps` from `start` seconds, rounded to a time base of `den` ticks a second. */
const frames = (n: number, fps: number, den = 1000, start = 0) =>
  Array.from({ length: n }, (_, i) => Math.round((start + i / fps) * den) / den);

describe('frameTimingOf', () => {
  it('a 30 fps Matroska file (frames 33 and 34 ms apart) whose header says 60/1 or 1000/1: 30/1, constant', () => {
    for (const header of [
      { num: 60, den: 1 },
      { num: 1000, den: 1 },
    ])
      expect(frameTimingOf(frames(90, 30), ms, [header, header])).toEqual({ rate: { num: 30, den: 1 }, vfr: false });
  });

  it("the container's rate when the frames keep it, even an unusual one (the skyline fixture's 23040000/767849)", () => {
    const rate = { num: 23040000, den: 767849 };
    const pts = Array.from({ length: 40 }, (_, i) => (i * 767849) / 23040000);
    expect(frameTimingOf(pts, { num: 1, den: 23040000 }, [rate])).toEqual({ rate, vfr: false });
    expect(frameTimingOf(frames(40, 25), ms, [{ num: 25, den: 1 }])).toEqual({ rate: { num: 25, den: 1 }, vfr: false });
  });

  it('the closest common rate: 30000/1001 and 30 told apart by their grids', () => {
    expect(frameTimingOf(frames(120, 30000 / 1001, 90000), { num: 1, den: 90000 }, [undefined]).rate).toEqual({
      num: 30000,
      den: 1001,
    });
    expect(frameTimingOf(frames(120, 30, 90000), { num: 1, den: 90000 }, [undefined]).rate).toEqual({
      num: 30,
      den: 1,
    });
  });

  it("no common rate fits: the frames' own mean, as a fraction of the time base", () => {
    // 7 fps (not a common rate) in a 1/90000 time base, header silent: 19 frames over 244286 ticks.
    const timing = frameTimingOf(frames(20, 7, 90000), { num: 1, den: 90000 }, []);
    expect(timing).toEqual({ rate: { num: 855000, den: 122143 }, vfr: false });
    expect(timing.rate.num / timing.rate.den).toBeCloseTo(7, 4);
  });

  it('a frame a whole frame late (an AVI whose first frame lasts two) is variable rate, even in a 1/30 time base', () => {
    const pts = [0, 2, 3, 4, 5, 6, 7, 8, 9].map((t) => t / 30);
    expect(frameTimingOf(pts, { num: 1, den: 30 }, [{ num: 30, den: 1 }]).vfr).toBe(true);
  });

  it('variable rate: 100 ms then 50 ms frames, reported at the container average when it is near the mean', () => {
    const pts = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
    const average = { num: 100, den: 7 }; // 15 frames over 1.05 s
    expect(frameTimingOf(pts, ms, [average])).toEqual({ rate: average, vfr: true });
    // A header far from the mean: the mean itself, 14 intervals over 0.95 s.
    expect(frameTimingOf(pts, ms, [{ num: 60, den: 1 }])).toEqual({ rate: { num: 280, den: 19 }, vfr: true });
  });

  it('one frame: the container rate, or 25', () => {
    expect(frameTimingOf([0], ms, [{ num: 24, den: 1 }])).toEqual({ rate: { num: 24, den: 1 }, vfr: false });
    expect(frameTimingOf([0], ms, [])).toEqual({ rate: { num: 25, den: 1 }, vfr: false });
  });

  it('the last frame is not held to the grid', () => {
    const pts = [...frames(10, 30), 0.5];
    expect(frameTimingOf(pts, ms, [{ num: 30, den: 1 }])).toEqual({ rate: { num: 30, den: 1 }, vfr: false });
  });
});
