import type { RegisteredCommand } from "../command.js";
import { RPL } from "../numerics.js";

export const away: RegisteredCommand = {
  name: "AWAY",
  minParams: 0,
  when: "registered",
  help: "AWAY [:<message>] — mark yourself away, or back without a message",
  run(connection, user, params) {
    const message = params[0] ?? "";
    connection.context.core.setAway(user, message, connection.id);
    if (user.away === null) connection.numeric(RPL.UNAWAY, "You are no longer marked as being away");
    else connection.numeric(RPL.NOWAWAY, "You have been marked as being away");
  },
};
