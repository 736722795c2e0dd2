// Position intents at a node with an RPC endpoint: the clearing house's view of the account keeps
// intents that cannot settle out of the pool (unlisted market, no margin account, reduce-only that
// would not reduce, not enough margin for the added exposure), while plausible ones are accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keccak256, parseUnits, toHex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { fundUser, startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import { depositCollateral, deployDevnetPerp } from '../../contracts/deploy/perp.ts';
import { signPositionIntent } from '../../contracts/client/positions.ts';
import type { PositionIntent, SignedIntent } from '../../protocol/intent.ts';
import { NodeApi } from '../../protocol/client.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { type SubmitOutcome, submitOutcome } from '../helpers/api.ts';
import { tempDir, testConfig } from '../helpers/node.ts';

const DAI = (n: string): bigint => parseUnits(n, 18);
const WAD = 10n ** 18n;

let running: RunningDevnet;
let node: IntentNode;
let alice: LocalAccount; // 1,000 DAI of margin
let bob: LocalAccount; // no margin account
let validTo: number;
let nonce = 0n;
const dir = tempDir('node-position-');

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet, anvil } = running;
  const perp = await deployDevnetPerp(clients, devnet);
  alice = privateKeyToAccount(keccak256(toHex('position-check-alice')));
  bob = privateKeyToAccount(keccak256(toHex('position-check-bob')));
  await fundUser(clients, devnet, alice, { dai: DAI('1000') });
  await fundUser(clients, devnet, bob, { dai: DAI('1000') });
  await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, alice, DAI('1000'));
  validTo = Number((await clients.publicClient.getBlock()).timestamp) + 3600;
  node = new IntentNode(testConfig(dir.path, { chainId: anvil.chainId, settlement: devnet.settlement.settlement, rpcUrl: anvil.rpcUrl }), {
    log: silentLogger(),
  });
  await node.start();
});

afterAll(async () => {
  await node?.stop();
  dir.cleanup();
  await running?.stop();
});

async function submit(account: LocalAccount, over: Partial<PositionIntent>): Promise<SubmitOutcome> {
  const intent: PositionIntent = {
    account: account.address,
    market: 1,
    sizeDelta: WAD,
    limitPrice: 3100n * WAD,
    reduceOnly: false,
    partiallyFillable: false,
    validTo,
    nonce: nonce++,
    ...over,
  };
  const data = await signPositionIntent(account, running.anvil.chainId, running.devnet.settlement.settlement, intent);
  const signed: SignedIntent = { type: 'position', intent, signature: { scheme: 'eoa', data } };
  return submitOutcome(new NodeApi(node.apiUrl), signed);
}

describe('position intents checked against the clearing house', () => {
  it('accepts a long the account can margin (1 ETH at 3,000 needs 300 of initial margin; it has 1,000)', async () => {
    expect(await submit(alice, {})).toMatchObject({ status: 201 });
  });

  it('refuses a long beyond the account margin (5 ETH needs 1,500)', async () => {
    expect(await submit(alice, { sizeDelta: 5n * WAD })).toMatchObject({ status: 400, code: 'insufficient_margin' });
  });

  it('refuses an account with no collateral, an unlisted market, and a reduce-only intent with nothing to reduce', async () => {
    expect(await submit(bob, {})).toMatchObject({ status: 400, code: 'no_margin_account' });
    expect(await submit(alice, { market: 99 })).toMatchObject({ status: 400, code: 'unknown_market' });
    expect(await submit(alice, { sizeDelta: -WAD, limitPrice: 2900n * WAD, reduceOnly: true })).toMatchObject({
      status: 400,
      code: 'not_reducing',
    });
  });
});
