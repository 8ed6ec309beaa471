/**
 * In-place iterative radix-2 complex FFT over Float64Arrays (Cooley-Tukey,
 * decimation in time), and the exact integer convolution of two 0/1
 * sequences built on it. No npm FFT package we found is both maintained and
 * typed-array based, and this one is 60 lines.
 */

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array; reverse: Uint32Array }>();

function tables(size: number) {
  let t = twiddleCache.get(size);
  if (t) return t;
  const half = size / 2;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / size);
    sin[k] = Math.sin((2 * Math.PI * k) / size);
  }
  const bits = Math.log2(size);
  const reverse = new Uint32Array(size);
  for (let i = 0; i < size; i++) reverse[i] = (reverse[i >> 1]! >> 1) | ((i & 1) << (bits - 1));
  t = { cos, sin, reverse };
  if (twiddleCache.size > 4) twiddleCache.clear();
  twiddleCache.set(size, t);
  return t;
}

/** Forward transform (sign -1) or inverse without the 1/size factor (sign +1). */
export function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const size = re.length;
  if (size & (size - 1)) throw new RangeError(`FFT size ${size} is not a power of two`);
  if (size <= 1) return;
  const { cos, sin, reverse } = tables(size);
  for (let i = 0; i < size; i++) {
    const j = reverse[i]!;
    if (j > i) {
      let t = re[i]!;
      re[i] = re[j]!;
      re[j] = t;
      t = im[i]!;
      im[i] = im[j]!;
      im[j] = t;
    }
  }
  const s = inverse ? 1 : -1;
  for (let len = 2; len <= size; len <<= 1) {
    const half = len >> 1;
    const step = size / len;
    for (let start = 0; start < size; start += len) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step]!;
        const wi = s * sin[k * step]!;
        const a = start + k;
        const b = a + half;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a]! += xr;
        im[a]! += xi;
      }
    }
  }
}

/**
 * The cyclic convolution of a and b (entries 0 or 1) over `size` points (a
 * power of two at least as long as either), exactly, as integers: with
 * z = a + i·b, z² = a² - b² + 2i·(a·b) under convolution, so one transform
 * and one inverse give a * b = Im(IFFT(FFT(z)²)) / 2. Sums stay below 2^23
 * and rounding errors far below 1/2 for these sizes.
 */
export function cyclicConvolveBits(a: Uint8Array, b: Uint8Array, size: number): Int32Array {
  if (a.length > size || b.length > size) throw new RangeError('the inputs are longer than the convolution');
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < a.length; i++) re[i] = a[i]!;
  for (let i = 0; i < b.length; i++) im[i] = b[i]!;
  fft(re, im, false);
  for (let i = 0; i < size; i++) {
    const r = re[i]!;
    const m = im[i]!;
    re[i] = r * r - m * m;
    im[i] = 2 * r * m;
  }
  fft(re, im, true);
  const out = new Int32Array(size);
  const scale = 1 / (2 * size);
  for (let i = 0; i < size; i++) out[i] = Math.round(im[i]! * scale);
  return out;
}

/** The full linear convolution of two 0/1 sequences (a cyclic one long enough not to wrap). */
export function convolveBits(a: Uint8Array, b: Uint8Array): Int32Array {
  const length = a.length + b.length - 1;
  let size = 1;
  while (size < length) size <<= 1;
  return cyclicConvolveBits(a, b, size).slice(0, length);
}
