/** An exact rational number, as ffmpeg writes frame rates and time bases ("30000/1001"). */
export interface Rational {
  readonly num: number;
  readonly den: number;
}

export function parseRational(text: string | undefined): Rational | undefined {
  if (!text) return undefined;
  const [n, d = '1'] = text.split('/');
  const num = Number(n),
    den = Number(d);
  if (!Number.isFinite(num) || !Number.isFinite(den) || num <= 0 || den <= 0) return undefined;
  return { num, den };
}

export function rationalValue(r: Rational): number {
  return r.num / r.den;
}

export function formatRational(r: Rational): string {
  return `${r.num}/${r.den}`;
}
