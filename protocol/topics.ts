// Gossip topic names: versioned (a codec change gets a new topic, so old and new nodes never
// misread each other) and chain-scoped (intents for one chain never reach another's mesh).
export const PROTOCOL_VERSION = 1;

export const intentsTopic = (chainId: number): string => `/intents/${PROTOCOL_VERSION}/${chainId}`;
export const solutionsTopic = (chainId: number): string => `/solutions/${PROTOCOL_VERSION}/${chainId}`;
export const cancelsTopic = (chainId: number): string => `/cancels/${PROTOCOL_VERSION}/${chainId}`;

/**
 * libp2p stream protocol a node uses to pull a peer's live intents (and the signed cancels it
 * holds) when it (re)joins. Version 2: version 1 carried intents only, and a v1 node would drop
 * the stream at the first cancel frame, so the two never speak to each other.
 */
export const INTENT_SYNC_VERSION = 2;
export const intentSyncProtocol = (chainId: number): string => `/intent-sync/${INTENT_SYNC_VERSION}/${chainId}`;
