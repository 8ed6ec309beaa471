/**
 * The code ladder: variable-node degree distributions (fraction of nodes per
 * degree) found by linear programming under Gaussian-approximation density
 * evolution (check degrees concentrated, see checkDegrees), and each one's
 * threshold recomputed by Monte Carlo density evolution (population 20000,
 * bisection to 1 %; density-evolution.ts). Generated offline; the tests
 * check each rate and that every threshold lies below capacity.
 *
 * Five entries refine the ladder between two of those: 291, 340, 367, 423
 * and 453 are the convex combinations (node fractions) of their neighbours'
 * distributions at the rate's position between them. Entry 326 came out
 * of a random local search from entry 303 (move a share of the nodes from
 * one degree to another; keep the move when the highest rate that Monte
 * Carlo density evolution, population 10 000, decodes at SNR 0.60 rises):
 * more degree-2 nodes and less weight on degree 30, threshold 0.614 at
 * rate 0.326 against 0.650 at 0.327 for the linear-programming entry, beta
 * 0.944 at threshold. Thresholds of all six: population 20 000, bisection
 * to 1 % (0.5 % for 326).
 */
import type { LadderEntry } from './ldpc-code.ts';

export const CODE_LADDER: readonly LadderEntry[] = [
  { permille: 46, variables: [[2, 0.757780], [3, 0.198361], [6, 0.034775], [7, 0.009085]], thresholdSnr: 0.09701 },
  { permille: 104, variables: [[2, 0.663612], [3, 0.204146], [5, 0.049605], [8, 0.048469], [12, 0.014717], [15, 0.019449]], thresholdSnr: 0.18000 },
  { permille: 138, variables: [[2, 0.602607], [3, 0.209136], [4, 0.009967], [6, 0.025432], [7, 0.098809], [10, 0.015487], [12, 0.001036], [20, 0.004518], [30, 0.033008]], thresholdSnr: 0.28068 },
  { permille: 166, variables: [[2, 0.597633], [3, 0.219154], [6, 0.052730], [7, 0.051570], [8, 0.040264], [25, 0.035546], [30, 0.003103]], thresholdSnr: 0.31174 },
  { permille: 198, variables: [[2, 0.574231], [3, 0.228299], [4, 0.006373], [6, 0.033531], [7, 0.068384], [8, 0.031714], [10, 0.017514], [30, 0.039954]], thresholdSnr: 0.39389 },
  { permille: 217, variables: [[2, 0.562358], [3, 0.234605], [4, 0.002985], [6, 0.039168], [7, 0.045415], [8, 0.069751], [10, 0.001080], [30, 0.044639]], thresholdSnr: 0.42787 },
  { permille: 237, variables: [[2, 0.560788], [3, 0.234674], [4, 0.004998], [5, 0.000783], [6, 0.044580], [7, 0.040912], [8, 0.065002], [10, 0.004351], [25, 0.017746], [30, 0.026166]], thresholdSnr: 0.46288 },
  { permille: 257, variables: [[2, 0.554337], [3, 0.230604], [4, 0.009731], [5, 0.007885], [6, 0.048152], [7, 0.030081], [8, 0.060138], [10, 0.012318], [15, 0.004004], [20, 0.001928], [30, 0.040822]], thresholdSnr: 0.50779 },
  { permille: 279, variables: [[2, 0.539108], [3, 0.237935], [6, 0.066054], [7, 0.060934], [8, 0.040195], [30, 0.055775]], thresholdSnr: 0.56611 },
  { permille: 291, variables: [[2, 0.536898], [3, 0.241587], [4, 0.002485], [5, 0.004208], [6, 0.047764], [7, 0.062847], [8, 0.043898], [10, 0.007910], [15, 0.001630], [30, 0.050775]], thresholdSnr: 0.59102 },
  { permille: 303, variables: [[2, 0.534687], [3, 0.245238], [4, 0.004971], [5, 0.008416], [6, 0.029473], [7, 0.064760], [8, 0.047600], [10, 0.015820], [15, 0.003259], [30, 0.045774]], thresholdSnr: 0.59957 },
  { permille: 326, variables: [[2, 0.550984], [3, 0.249978], [4, 0.004971], [5, 0.008416], [6, 0.029473], [7, 0.068019], [8, 0.029378], [10, 0.01582], [12, 0.013483], [15, 0.008842], [30, 0.020636]], thresholdSnr: 0.61379 },
  { permille: 327, variables: [[2, 0.526826], [3, 0.241777], [4, 0.024310], [6, 0.028458], [7, 0.049457], [8, 0.058023], [10, 0.024378], [30, 0.046770]], thresholdSnr: 0.65004 },
  { permille: 340, variables: [[2, 0.520937], [3, 0.248163], [4, 0.012155], [6, 0.037180], [7, 0.059829], [8, 0.057916], [10, 0.012189], [30, 0.051630]], thresholdSnr: 0.70111 },
  { permille: 353, variables: [[2, 0.515048], [3, 0.254549], [6, 0.045903], [7, 0.070201], [8, 0.057809], [30, 0.056490]], thresholdSnr: 0.73365 },
  { permille: 367, variables: [[2, 0.510734], [3, 0.256609], [4, 0.006247], [6, 0.032247], [7, 0.069347], [8, 0.067153], [10, 0.002559], [30, 0.055105]], thresholdSnr: 0.76092 },
  { permille: 380, variables: [[2, 0.506729], [3, 0.258521], [4, 0.012047], [6, 0.019566], [7, 0.068554], [8, 0.075829], [10, 0.004936], [30, 0.053818]], thresholdSnr: 0.78920 },
  { permille: 408, variables: [[2, 0.497194], [3, 0.267428], [6, 0.042318], [7, 0.058961], [8, 0.074541], [30, 0.059557]], thresholdSnr: 0.86552 },
  { permille: 423, variables: [[2, 0.492319], [3, 0.269543], [6, 0.047363], [7, 0.053009], [8, 0.076645], [30, 0.061122]], thresholdSnr: 0.90212 },
  { permille: 438, variables: [[2, 0.487444], [3, 0.271658], [6, 0.052408], [7, 0.047057], [8, 0.078748], [30, 0.062686]], thresholdSnr: 0.95145 },
  { permille: 453, variables: [[2, 0.482398], [3, 0.275659], [6, 0.047270], [7, 0.049658], [8, 0.081997], [30, 0.063021]], thresholdSnr: 0.99714 },
  { permille: 468, variables: [[2, 0.477351], [3, 0.279659], [6, 0.042132], [7, 0.052258], [8, 0.085246], [30, 0.063355]], thresholdSnr: 1.10553 },
  { permille: 499, variables: [[2, 0.469695], [3, 0.285987], [6, 0.026955], [7, 0.069166], [8, 0.085677], [30, 0.062520]], thresholdSnr: 1.12200 },
];
