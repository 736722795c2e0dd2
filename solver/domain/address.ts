import type { Address } from 'viem';

/** Addresses are compared lower-case throughout the solver. */
export const lower = (a: string): Address => a.toLowerCase() as Address;
