// HiGHS (the `highs` package: the HiGHS LP/MILP solver built to WebAssembly). Loading the module
// is asynchronous, solving is synchronous: the solver process loads it once at start-up, and the
// solving engine, which has no I/O and no awaits, uses it when it is there. A solve without it
// skips the MILP stage and says so (stats.milp.skipped), it does not fail.
import highsLoader, { type Highs as HighsRuntime } from 'highs';

export type Highs = HighsRuntime;

// The package is CommonJS: under NodeNext its default import is the loader function at run time,
// which its type declarations do not express.
const loader = highsLoader as unknown as () => Promise<Highs>;
let loading: Promise<Highs> | undefined;
let loaded: Highs | undefined;

/** Loads HiGHS once (idempotent); await it before solving to enable the MILP stage. */
export async function loadMilp(): Promise<void> {
  loading ??= loader().then((h) => {
    loaded = h;
    return h;
  });
  await loading;
}

/** HiGHS if loadMilp() has completed. */
export function milpSolver(): Highs | undefined {
  return loaded;
}
