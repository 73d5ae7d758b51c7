/** Bumped on any change to a published schema: minor when it only accepts more, major otherwise. */
export const CONTRACT_VERSION = "1.0.0";
