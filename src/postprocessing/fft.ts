/**
 * Radix-2 complex FFTs over Float64Arrays for exact 0/1 convolutions, with
 * no bit-reversal pass: the forward transform is decimation in frequency
 * (natural order in, bit-reversed order out), the inverse decimation in time
 * (bit-reversed in, natural out), and a convolution only multiplies spectra
 * pointwise, which does not care about the order (the pairing used by
 * FFT-based polynomial multiplication; e.g. Chu and George, "Inside the FFT
 * Black Box", 2000, ch. 4-5). Twiddles are stored per stage, contiguously
 * (entry half + k = exp(-2 pi i k / (2 half))), so every stage reads them in
 * order. No npm FFT package we found is both maintained and typed-array based.
 */

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();

function twiddles(size: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddleCache.get(size);
  if (t) return t;
  const cos = new Float64Array(size);
  const sin = new Float64Array(size);
  // The largest stage's angles, reused by every smaller stage (their angles are a subset).
  const half = size >> 1;
  for (let k = 0; k < half; k++) {
    cos[half + k] = Math.cos((Math.PI * k) / half);
    sin[half + k] = Math.sin((Math.PI * k) / half);
  }
  for (let h = half >> 1; h >= 1; h >>= 1) {
    for (let k = 0; k < h; k++) {
      cos[h + k] = cos[2 * h + 2 * k]!;
      sin[h + k] = sin[2 * h + 2 * k]!;
    }
  }
  t = { cos, sin };
  if (twiddleCache.size > 4) twiddleCache.clear();
  twiddleCache.set(size, t);
  return t;
}

function checkSize(re: Float64Array, im: Float64Array): number {
  const size = re.length;
  if (size & (size - 1) || im.length !== size) throw new RangeError(`FFT size ${size} is not a power of two (or re and im differ)`);
  return size;
}

/** Forward DFT (sign -1) in place, natural-order input, output in bit-reversed order. */
export function forwardBitReversed(re: Float64Array, im: Float64Array): void {
  const size = checkSize(re, im);
  const { cos, sin } = twiddles(size);
  for (let half = size >> 1; half >= 2; half >>= 1) {
    const len = half << 1;
    for (let start = 0; start < size; start += len) {
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const ar = re[a]!;
        const ai = im[a]!;
        const br = re[b]!;
        const bi = im[b]!;
        re[a] = ar + br;
        im[a] = ai + bi;
        const dr = ar - br;
        const di = ai - bi;
        // (dr + i di)(c - i s)
        const c = cos[half + k]!;
        const s = sin[half + k]!;
        re[b] = dr * c + di * s;
        im[b] = di * c - dr * s;
      }
    }
  }
  if (size >= 2) butterfliesOfTwo(re, im);
}

/** The stage of 2-point butterflies (twiddle 1), shared by both directions. */
function butterfliesOfTwo(re: Float64Array, im: Float64Array): void {
  for (let a = 0; a < re.length; a += 2) {
    const ar = re[a]!;
    const ai = im[a]!;
    const br = re[a + 1]!;
    const bi = im[a + 1]!;
    re[a] = ar + br;
    im[a] = ai + bi;
    re[a + 1] = ar - br;
    im[a + 1] = ai - bi;
  }
}

/** Inverse DFT (sign +1, without the 1/size factor) in place, bit-reversed input, natural-order output. */
export function inverseFromBitReversed(re: Float64Array, im: Float64Array): void {
  const size = checkSize(re, im);
  const { cos, sin } = twiddles(size);
  if (size >= 2) butterfliesOfTwo(re, im);
  for (let half = 2; half < size; half <<= 1) {
    const len = half << 1;
    for (let start = 0; start < size; start += len) {
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        // x[b] (c + i s)
        const c = cos[half + k]!;
        const s = sin[half + k]!;
        const br = re[b]!;
        const bi = im[b]!;
        const tr = br * c - bi * s;
        const ti = br * s + bi * c;
        const ar = re[a]!;
        const ai = im[a]!;
        re[b] = ar - tr;
        im[b] = ai - ti;
        re[a] = ar + tr;
        im[a] = ai + ti;
      }
    }
  }
}

/**
 * Adds the spectrum of z² to `accRe`/`accIm` for z = a + i·b (a, b 0/1
 * sequences zero-padded to `size` points): since z² = a² - b² + 2i·(a·b)
 * under cyclic convolution, the imaginary part of the inverse transform of
 * the accumulated spectra is twice the sum of the convolutions a·b. `re`,
 * `im` are scratch arrays of `size` points.
 */
export function accumulateProductSpectrum(a: Uint8Array, b: Uint8Array, re: Float64Array, im: Float64Array, accRe: Float64Array, accIm: Float64Array): void {
  const size = re.length;
  if (a.length > size || b.length > size) throw new RangeError('the inputs are longer than the convolution');
  re.fill(0);
  im.fill(0);
  for (let i = 0; i < a.length; i++) re[i] = a[i]!;
  for (let i = 0; i < b.length; i++) im[i] = b[i]!;
  forwardBitReversed(re, im);
  for (let i = 0; i < size; i++) {
    const r = re[i]!;
    const m = im[i]!;
    accRe[i]! += r * r - m * m;
    accIm[i]! += 2 * r * m;
  }
}

/**
 * The cyclic convolution of a and b (entries 0 or 1) over `size` points (a
 * power of two at least as long as either), exactly, as integers. Sums stay
 * below 2^23 and rounding errors far below 1/2 for these sizes.
 */
export function cyclicConvolveBits(a: Uint8Array, b: Uint8Array, size: number): Int32Array {
  const accRe = new Float64Array(size);
  const accIm = new Float64Array(size);
  accumulateProductSpectrum(a, b, new Float64Array(size), new Float64Array(size), accRe, accIm);
  inverseFromBitReversed(accRe, accIm);
  const out = new Int32Array(size);
  const scale = 1 / (2 * size);
  for (let i = 0; i < size; i++) out[i] = Math.round(accIm[i]! * scale);
  return out;
}

/** The full linear convolution of two 0/1 sequences (a cyclic one long enough not to wrap). */
export function convolveBits(a: Uint8Array, b: Uint8Array): Int32Array {
  const length = a.length + b.length - 1;
  let size = 1;
  while (size < length) size <<= 1;
  return cyclicConvolveBits(a, b, size).slice(0, length);
}
