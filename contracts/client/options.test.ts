import { decodeAbiParameters, recoverTypedDataAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { intentDomain, optionIntentTypes } from '../../protocol/eip712.ts';
import type { OptionIntent } from '../../protocol/intent.ts';
import { encodeOptionBatch, encodeOptionTrade, signOptionIntent } from './options.ts';

const alice = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const settlement = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const WAD = 10n ** 18n;

const intent: OptionIntent = {
  account: alice.address,
  series: 3n,
  size: -2n * WAD,
  premiumLimit: 270n * WAD,
  reduceOnly: false,
  partiallyFillable: true,
  validTo: 1_800_000_000,
  nonce: 9n,
};

describe('option client helpers', () => {
  it('signs the OptionIntent under the Settlement domain', async () => {
    const signature = await signOptionIntent(alice, 31337, settlement, intent);
    const signer = await recoverTypedDataAddress({
      domain: intentDomain(31337, settlement),
      types: optionIntentTypes,
      primaryType: 'OptionIntent',
      message: intent,
      signature,
    });
    expect(signer).toBe(alice.address);
  });

  it('encodes a trade (series index, flags, executed size) and the batch round-trips', async () => {
    const signature = await signOptionIntent(alice, 31337, settlement, intent);
    const trade = encodeOptionTrade([1n, 3n], intent, signature, { executedSize: WAD });
    expect(trade.seriesIndex).toBe(1);
    expect(trade.flags).toBe(4);
    expect(trade.executedSize).toBe(WAD);
    const encoded = encodeOptionBatch({ series: [1n, 3n], premiums: [100n * WAD, 275n * WAD], trades: [trade] });
    const [decoded] = decodeAbiParameters(
      [
        {
          type: 'tuple',
          components: [
            { name: 'series', type: 'uint64[]' },
            { name: 'premiums', type: 'uint256[]' },
            {
              name: 'trades',
              type: 'tuple[]',
              components: [
                { name: 'account', type: 'address' },
                { name: 'size', type: 'int256' },
                { name: 'premiumLimit', type: 'uint256' },
                { name: 'nonce', type: 'uint256' },
                { name: 'validTo', type: 'uint32' },
                { name: 'seriesIndex', type: 'uint8' },
                { name: 'flags', type: 'uint8' },
                { name: 'executedSize', type: 'uint256' },
                { name: 'signature', type: 'bytes' },
              ],
            },
          ],
        },
      ],
      encoded,
    );
    expect(decoded.series).toEqual([1n, 3n]);
    expect(decoded.trades[0]?.size).toBe(-2n * WAD);
    expect(decoded.trades[0]?.signature).toBe(signature);
  });

  it('refuses what the contract would refuse', async () => {
    const signature = await signOptionIntent(alice, 31337, settlement, intent);
    expect(() => encodeOptionTrade([1n], intent, signature)).toThrow(/not in the batch/);
    expect(() => encodeOptionTrade([3n], { ...intent, partiallyFillable: false }, signature, { executedSize: WAD })).toThrow(
      /fill-or-kill/,
    );
    expect(() => encodeOptionBatch({ series: [3n, 1n], premiums: [0n, 0n], trades: [] })).toThrow(/ascending/);
  });
});
