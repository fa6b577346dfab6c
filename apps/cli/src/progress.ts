import cliProgress from 'cli-progress';
import type { ProgressListener } from '@defect-rag/runtime';

export interface ProgressDisplay {
  listener: ProgressListener;
  stop(): void;
}

/**
 * One bar per stage on a terminal. Without a terminal (CI, pipes) it prints a line per stage at
 * every 10 % instead, so logs stay readable.
 */
export function createProgressDisplay(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  if (!stream.isTTY) return lineProgress(stream);
  const multibar = new cliProgress.MultiBar(
    {
      stream,
      format: ' {stage} |{bar}| {value}/{total} {percentage}% | {rate}/s | eta {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, { bar: cliProgress.SingleBar; started: number }>();
  return {
    listener: ({ stage, done, total }) => {
      let entry = bars.get(stage);
      if (!entry) {
        entry = { bar: multibar.create(total, 0, { stage: stage.padEnd(10), rate: '0.0' }), started: Date.now() };
        bars.set(stage, entry);
      }
      const seconds = Math.max((Date.now() - entry.started) / 1000, 1e-3);
      entry.bar.setTotal(total);
      entry.bar.update(done, { rate: (done / seconds).toFixed(1) });
    },
    stop: () => multibar.stop(),
  };
}

function lineProgress(stream: NodeJS.WriteStream): ProgressDisplay {
  const lastDecile = new Map<string, number>();
  return {
    listener: ({ stage, done, total }) => {
      const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (lastDecile.get(stage) === decile) return;
      lastDecile.set(stage, decile);
      stream.write(`${stage}: ${done}/${total}\n`);
    },
    stop: () => {},
  };
}
