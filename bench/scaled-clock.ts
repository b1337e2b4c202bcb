/** A clock running `scale` times faster than the wall clock: 1 simulated second = 1000/scale ms of real time. */
export function scaledClock(scale: number) {
  const origin = performance.now();
  return {
    scale,
    now: () => (performance.now() - origin) * scale,
    sleep: (simulatedMs: number) => new Promise<void>((resolve) => setTimeout(resolve, simulatedMs / scale)),
  };
}

export type ScaledClock = ReturnType<typeof scaledClock>;

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** The value below which the fraction `q` of the values lie (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}
