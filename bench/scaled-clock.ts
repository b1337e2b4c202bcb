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
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
