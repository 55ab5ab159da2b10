import { SingleBar } from 'cli-progress';

/** Progress of one phase of an audit, measured in `unit`s out of `total`. */
export interface Progress {
  start(phase: string, total: number, unit: string): void;
  update(value: number): void;
  /** a message that must not be lost in the bar (retries, warnings). */
  note(line: string): void;
  stop(): void;
}

/** A bar with rate and ETA on a terminal (cli-progress). */
export function barProgress(stream: NodeJS.WriteStream): Progress {
  let bar: SingleBar | undefined;
  let started = 0;
  return {
    start(phase, total, unit) {
      bar = new SingleBar({
        stream,
        format: `${phase.padEnd(10)} [{bar}] {percentage}% | {value}/{total} ${unit} | {speed}/s | ETA {eta_formatted}`,
        etaBuffer: 50,
        hideCursor: true,
      });
      bar.start(total, 0, { speed: 0 });
      started = Date.now();
    },
    update(value) {
      const elapsed = (Date.now() - started) / 1000;
      bar?.update(value, { speed: elapsed > 0 ? Math.round(value / elapsed) : 0 });
    },
    note(line) {
      stream.write(`\n${line}\n`);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** Plain lines, at most one per `intervalMs` (and one at the end of each phase), for CI logs. */
export function lineProgress(write: (line: string) => void, intervalMs = 5000): Progress {
  let phase = '';
  let unit = '';
  let total = 0;
  let value = 0;
  let started = 0;
  let lastLine = -Infinity;
  let lastValue = -1;
  const line = () => {
    lastValue = value;
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? value / seconds : 0;
    const eta = rate > 0 && total > value ? ` ETA ${Math.ceil((total - value) / rate)} s` : '';
    write(`${phase}: ${value}/${total} ${unit} (${Math.floor((100 * value) / Math.max(total, 1))} %, ${Math.round(rate)}/s${eta})`);
    lastLine = Date.now();
  };
  return {
    start(name, of, units) {
      [phase, total, unit, value, started, lastValue] = [name, of, units, 0, Date.now(), -1];
    },
    update(current) {
      value = current;
      if (Date.now() - lastLine >= intervalMs) line();
    },
    note: write,
    stop() {
      if (phase && lastValue !== value) line();
      phase = '';
    },
  };
}
