/** Small formatting helpers of the page (sizes, counts, download speed and time left). */

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Download speed over a sliding window of (time, bytes) samples. */
export class SpeedMeter {
  private samples: { t: number; bytes: number }[] = [];
  constructor(private readonly windowMs = 3000) {}

  /** Records the byte count at time t (ms); returns bytes per second (0 until two samples). */
  add(t: number, bytes: number): number {
    this.samples.push({ t, bytes });
    while (this.samples.length > 2 && t - this.samples[0]!.t > this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const dt = (t - first.t) / 1000;
    return dt > 0 ? (bytes - first.bytes) / dt : 0;
  }
}

/** "12.0 MiB of 1.10 GiB · 25.3 MiB/s · 44 s left" */
export function progressText(loaded: number, total: number | null, bytesPerSecond: number): string {
  const parts = [total !== null ? `${formatBytes(loaded)} of ${formatBytes(total)}` : formatBytes(loaded)];
  if (bytesPerSecond > 0) {
    parts.push(`${formatBytes(bytesPerSecond)}/s`);
    if (total !== null) parts.push(`${formatDuration((total - loaded) / bytesPerSecond)} left`);
  }
  return parts.join(' · ');
}
