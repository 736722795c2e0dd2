// Settle reverts, decoded: which custom error, with which arguments (isolation reads them to find
// the intents at fault), and which of them mean another solver got there first.
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Hex } from 'viem';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { collateralVaultAbi } from '../../contracts/artifacts/CollateralVault.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { tokenTransferAbi } from '../../contracts/artifacts/TokenTransfer.ts';
import { vaultAbi } from '../../contracts/artifacts/Vault.ts';

/** Custom errors that mean "someone else already filled (or the owner cancelled) this": a lost race. */
export const LOST_RACE_ERRORS = new Set(['NonceAlreadyUsed', 'IntentCancelled', 'FillExceedsAmount']);

export type DecodedRevert = { errorName: string; args: readonly unknown[]; message: string };

/**
 * Every custom error a settle can revert with: Settlement's own, and those its callees bubble up
 * unchanged (the Vault's pull: TokenTransfer.TransferFromFailed naming the owner; the clearing
 * house and its collateral vault: InsufficientMargin naming the account). Without them a revert
 * that names the intent at fault decodes as Unknown and nobody can be held responsible for it.
 */
const revertAbi = [...settlementAbi, ...vaultAbi, ...tokenTransferAbi, ...clearingHouseAbi, ...collateralVaultAbi].filter(
  (e) => e.type === 'error',
);

/** Decodes Settlement's (or a pool's bubbled) custom error from a viem error, if there is one. */
export function decodeRevert(error: unknown): DecodedRevert {
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      if (revert.data?.errorName) return { errorName: revert.data.errorName, args: revert.data.args ?? [], message: revert.shortMessage };
      if (revert.reason) return { errorName: 'Error', args: [revert.reason], message: revert.shortMessage };
      if (revert.raw) {
        try {
          const d = decodeErrorResult({ abi: revertAbi, data: revert.raw });
          return { errorName: d.errorName, args: d.args ?? [], message: revert.shortMessage };
        } catch {
          return { errorName: 'Unknown', args: [revert.raw], message: revert.shortMessage };
        }
      }
    }
    // Raw RPC error carrying revert data
    const withData = error.walk((e) => typeof (e as { data?: unknown }).data === 'string') as { data?: Hex } | null;
    if (withData?.data && withData.data.length >= 10) {
      try {
        const d = decodeErrorResult({ abi: revertAbi, data: withData.data });
        return { errorName: d.errorName, args: d.args ?? [], message: error.shortMessage };
      } catch {
        /* fall through */
      }
    }
    return { errorName: 'Unknown', args: [], message: error.shortMessage };
  }
  return { errorName: 'Unknown', args: [], message: (error as Error)?.message ?? String(error) };
}
