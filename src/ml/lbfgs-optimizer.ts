/**
 * Limited-memory BFGS minimization of a smooth function, with a backtracking (Armijo) line search.
 *
 * @example
 * ```ts
 * const result = minimizeLbfgs({
 *   x0: new Float64Array(2),
 *   evaluate: (x, grad) => { grad[0] = 2 * (x[0]! - 3); grad[1] = 2 * x[1]!; return (x[0]! - 3) ** 2 + x[1]! ** 2; },
 * });
 * ```
 */

/** Options of {@link minimizeLbfgs}. */
export interface LbfgsOptions {
  /** Starting point (not modified). */
  x0: Float64Array;
  /** Returns f(x) and writes ∇f(x) into `grad`. */
  evaluate: (x: Float64Array, grad: Float64Array) => number;
  /** Pairs of correction vectors kept. Default 10. */
  memory?: number;
  /** Iterations at most. Default 200. */
  maxIterations?: number;
  /** Stop when max |∇f| <= gradientTolerance. Default 1e-6. */
  gradientTolerance?: number;
  /** Stop when the relative decrease of f is below this. Default 1e-12. */
  functionTolerance?: number;
}

/** The minimizer found. */
export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

/** Minimizes `evaluate` from `x0` with L-BFGS. */
export function minimizeLbfgs(options: LbfgsOptions): LbfgsResult {
  const memory = options.memory ?? 10;
  const maxIterations = options.maxIterations ?? 200;
  const gtol = options.gradientTolerance ?? 1e-6;
  const ftol = options.functionTolerance ?? 1e-12;
  const d = options.x0.length;
  let x = Float64Array.from(options.x0);
  let g = new Float64Array(d);
  let f = options.evaluate(x, g);
  let evaluations = 1;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(memory);
  const direction = new Float64Array(d);
  let iterations = 0;
  let converged = maxAbs(g) <= gtol;
  while (!converged && iterations < maxIterations) {
    iterations++;
    // two-loop recursion: direction = -H g
    direction.set(g);
    for (let k = S.length - 1; k >= 0; k--) {
      const a = (rho[k] ?? 0) * dot(S[k] ?? direction, direction);
      alpha[k] = a;
      const y = Y[k] ?? direction;
      for (let i = 0; i < d; i++) direction[i] = (direction[i] ?? 0) - a * (y[i] ?? 0);
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const yy = dot(Y[last] ?? direction, Y[last] ?? direction);
      const gamma = yy > 0 ? 1 / ((rho[last] ?? 0) * yy) : 1;
      for (let i = 0; i < d; i++) direction[i] = (direction[i] ?? 0) * gamma;
    } else {
      const scale = 1 / Math.max(1, Math.sqrt(dot(g, g)));
      for (let i = 0; i < d; i++) direction[i] = (direction[i] ?? 0) * scale;
    }
    for (let k = 0; k < S.length; k++) {
      const beta = (rho[k] ?? 0) * dot(Y[k] ?? direction, direction);
      const s = S[k] ?? direction;
      const a = alpha[k] ?? 0;
      for (let i = 0; i < d; i++) direction[i] = (direction[i] ?? 0) + (a - beta) * (s[i] ?? 0);
    }
    for (let i = 0; i < d; i++) direction[i] = -(direction[i] ?? 0);
    let slope = dot(g, direction);
    if (slope >= 0) {
      // not a descent direction: restart from steepest descent
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < d; i++) direction[i] = -(g[i] ?? 0);
      slope = dot(g, direction);
    }
    // backtracking line search (Armijo)
    let step = 1;
    const xNew = new Float64Array(d);
    const gNew = new Float64Array(d);
    let fNew = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < d; i++) xNew[i] = (x[i] ?? 0) + step * (direction[i] ?? 0);
      fNew = options.evaluate(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew <= f)) break;
    const s = new Float64Array(d);
    const y = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      s[i] = (xNew[i] ?? 0) - (x[i] ?? 0);
      y[i] = (gNew[i] ?? 0) - (g[i] ?? 0);
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (S.length === memory) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const decrease = f - fNew;
    x = xNew;
    g = gNew;
    f = fNew;
    converged = maxAbs(g) <= gtol || decrease <= ftol * Math.max(1, Math.abs(f));
  }
  return { x, value: f, iterations, evaluations, converged };
}
