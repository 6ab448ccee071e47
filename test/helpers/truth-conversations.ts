import fs from 'node:fs';
import path from 'node:path';

/** One TCP or UDP conversation of a fixture's tshark ground truth (`<capture>.truth.json`). */
export interface TruthConversation {
  a: string;
  port_a: number;
  b: string;
  port_b: number;
}

/** The TCP and UDP conversations tshark found in a fixture of `dir`. */
export function truthConversations(dir: string, name: string): TruthConversation[] {
  const truth = JSON.parse(fs.readFileSync(path.join(dir, `${name}.truth.json`), 'utf8')) as {
    conversations: { tcp: TruthConversation[]; udp: TruthConversation[] };
  };
  return [...truth.conversations.tcp, ...truth.conversations.udp];
}
