// `npm run test:loaded`: the whole suite (`npm test`) on a machine kept busy. Two (or --busy N)
// threads spin for the whole run, one per core of the 2-core CI machines, so every test that
// assumes an idle machine (a fixed sleep standing in for an event, a deadline close to the time a
// step takes) shows itself. Exits with npm test's status.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const { values } = parseArgs({ options: { busy: { type: 'string', default: '2' } } });
const spin = 'for (;;) {}';
const workers = Array.from({ length: Number(values.busy) }, () => new Worker(spin, { eval: true }));
const started = Date.now();
const child = spawn('npm', ['test'], { stdio: 'inherit' });
child.on('exit', (code, signal) => {
  for (const w of workers) void w.terminate();
  process.stdout.write(
    `npm test under ${workers.length} busy threads: exit ${code ?? signal} after ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
  process.exit(code ?? 1);
});
