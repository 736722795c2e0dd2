// The randomized sweep's first slice (test/solver/sweep.ts): SWEEP_SEEDS instances per slice (default 100).
import { defineSweep } from './sweep.ts';

const PER_SLICE = Number(process.env.SWEEP_SEEDS ?? 100);
defineSweep(0, PER_SLICE);
