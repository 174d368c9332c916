// What a node device declares it can do (openclaw-protocol.md §11): shared by the node machine, the node
// store and the WS surface, so it lives below all of them.

/** A node's declared (or approved) capabilities, commands and permissions. */
export interface NodeSurface {
  caps: string[];
  commands: string[];
  permissions: Record<string, boolean>;
}
