// protocol/: the shared language of wallets, nodes, solvers and the settlement contract.
// Pure functions, no I/O; imports no other folder of this repository.
export * from './bytes.ts';
export * from './cancel.ts';
export * from './clearing.ts';
export * from './codec.ts';
export * from './eip712.ts';
export * from './hash.ts';
export * from './intent.ts';
export * from './json.ts';
export * from './result.ts';
export * from './score.ts';
export * from './signature.ts';
export * from './solution.ts';
export * from './topics.ts';
export * from './verify.ts';
export * from './margin.ts';
export * from './api.ts';
