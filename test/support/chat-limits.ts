import type { ChatLimits } from "../../src/core/chat/chat-core.js";

/** Chat limits for tests that drive ChatCore directly (generous, round numbers). */
export const TEST_CHAT_LIMITS: ChatLimits = {
  nickLength: 30,
  channelLength: 50,
  topicLength: 300,
  kickLength: 300,
  awayLength: 300,
  realnameLength: 100,
  maxChannelsPerUser: 20,
  maxListEntries: 50,
  whowasLength: 10,
  maxMessageBytes: 4000,
};
