/**
 * Copy pipeline: B snapshots complete at once, each must be copied to one DR Region whose copy slots (20)
 * are the bottleneck; copies take 10 to 30 minutes. The real copy-snapshot use case handles the completion
 * events (starting what fits, queueing the rest), the real copy pump runs every minute. Figure: mean copy
 * slots in use / 20 while copies wait, on a virtual clock (minutes pass instantly).
 */
import { COPY_SETTINGS_DEFAULTS } from '../shared/domain/copies.js';
import type { StoredSnapshot } from '../shared/domain/recovery-points.js';
import { pumpCopies, type BacklogEntry, type CopyBacklogReader } from '../shared/use-cases/copy-pump.js';
import { copyCompletedSnapshots, type BacklogCopy } from '../shared/use-cases/copy-snapshots.js';
import { copyPlans, FakeCopyBackend, FakeKeys, PRIMARY, sourceSnapshot, STACK } from '../tests/support/copy-fakes.js';

export interface CopyPipelineFigure {
  sources: number;
  slots: number;
  utilisation: number;
  backlogMinutes: number;
  pumpRuns: number;
}

const REGION = 'eu-north-1';
const MINUTE = 60_000;

/** The backlog queue in memory, with SQS's visibility timeout: a received copy not settled comes back later. */
class Backlog implements CopyBacklogReader {
  readonly waitingCopies: BacklogCopy[] = [];
  private hidden: BacklogEntry[] = [];
  async add(copy: BacklogCopy) {
    this.waitingCopies.push(copy);
  }
  async waiting() {
    return this.waitingCopies.length + this.hidden.length;
  }
  async receive(max: number) {
    const entries = this.waitingCopies.splice(0, max).map((copy) => ({ copy, receipt: copy.source.id }));
    this.hidden.push(...entries);
    return entries;
  }
  async remove(entries: readonly BacklogEntry[]) {
    const settled = new Set(entries.map((entry) => entry.receipt));
    this.hidden = this.hidden.filter((entry) => !settled.has(entry.receipt));
  }
  reappear() {
    this.waitingCopies.push(...this.hidden.map((entry) => entry.copy));
    this.hidden = [];
  }
}

function mulberry32(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export async function benchCopyPipeline(sourceCount = 400): Promise<CopyPipelineFigure> {
  const random = mulberry32(7);
  const slots = COPY_SETTINGS_DEFAULTS.inFlightLimit;
  const backend = new FakeCopyBackend();
  const sources: StoredSnapshot[] = Array.from({ length: sourceCount }, () => sourceSnapshot({ planId: 'silver' }));
  backend.add(...sources);
  const backlog = new Backlog();
  const deps = { stack: STACK, plans: copyPlans(), backend, keys: new FakeKeys(), settings: COPY_SETTINGS_DEFAULTS };
  const startedAt = new Map<string, number>();
  const finishesAt = new Map<string, number>();
  const track = (now: number) => {
    for (const copy of backend.in(REGION)) {
      if (!startedAt.has(copy.id)) {
        startedAt.set(copy.id, now);
        finishesAt.set(copy.id, now + (10 + 20 * random()) * MINUTE);
      }
    }
  };

  // Every source completes at t = 0: one event each, handed to copy-snapshot 100 to a batch by its queue.
  const completions = sources.map((source) => ({ eventId: source.id, region: PRIMARY, time: new Date(0), completed: [{ kind: source.kind, id: source.id }], ignored: [] }));
  for (let start = 0; start < completions.length; start += 100) {
    await copyCompletedSnapshots({ completions: completions.slice(start, start + 100), now: new Date(0) }, { ...deps, backlog });
  }
  track(0);

  let now = 0;
  let pumpRuns = 0;
  let lastStart = 0;
  while ((await backlog.waiting()) > 0 && now < 7 * 24 * 60 * MINUTE) {
    now += MINUTE;
    for (const copy of backend.in(REGION)) {
      if ((finishesAt.get(copy.id) ?? Infinity) <= now) Object.assign(copy, { state: 'completed', status: 'completed' });
    }
    backlog.reappear();
    pumpRuns += 1;
    const before = startedAt.size;
    await pumpCopies({ now: new Date(now) }, { ...deps, backlog });
    track(now);
    if (startedAt.size > before) lastStart = now;
  }

  // Slots in use over [0, lastStart]: each copy holds one from its start until it finished (as the pump saw it).
  let busy = 0;
  for (const [id, start] of startedAt) {
    const end = Math.min(finishesAt.get(id) ?? start, lastStart);
    if (end > start) busy += end - start;
  }
  return { sources: sourceCount, slots, utilisation: busy / (slots * lastStart), backlogMinutes: lastStart / MINUTE, pumpRuns };
}
