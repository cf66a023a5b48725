import type { Conversation, Member } from "../../state/types.js";
import { Isolated } from "../bidi.js";

const RANK = "~&@%+";

function rank(member: Member): number {
  const first = member.prefix[0];
  return first === undefined ? RANK.length : Math.max(0, RANK.indexOf(first));
}

/** Who is in the channel, operators first; away members dimmed and said to be away. */
export function MemberList({ conversation, onMessage }: { conversation: Conversation; onMessage: (nick: string) => void }) {
  const members = [...conversation.members.values()].sort((a, b) => rank(a) - rank(b) || a.nick.toLowerCase().localeCompare(b.nick.toLowerCase()));
  return (
    <aside id="members" class="members" aria-labelledby="members-title">
      <h3 id="members-title">
        Members <span class="count">{members.length}</span>
      </h3>
      <ul>
        {members.map((member) => (
          <li key={member.nick} class={member.away ? "away" : ""}>
            <button type="button" class="member" title={`Message ${member.nick}`} onClick={() => onMessage(member.nick)}>
              <span class="prefix" aria-hidden="true">
                {member.prefix[0] ?? ""}
              </span>
              <Isolated text={member.nick} />
              {member.prefix.includes("@") && <span class="sr-only"> (operator)</span>}
              {member.away && <span class="away-label"> (away)</span>}
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}
