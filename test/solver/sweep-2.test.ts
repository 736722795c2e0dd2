// The randomized sweep's second slice (test/solver/sweep.ts): SWEEP_SEEDS instances per slice (default 100).
import { defineSweep } from './sweep.ts';

const PER_SLICE = Number(process.env.SWEEP_SEEDS ?? 100);
defineSweep(PER_SLICE, PER_SLICE);
