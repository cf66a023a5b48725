import { render } from "preact";
import { parseMessage } from "../../src/irc/message.js";
import "./ui/styles.css";

function Hello() {
  const m = parseMessage(":a PRIVMSG #x :hi");
  return <p>{m?.params[1]}</p>;
}
render(<Hello />, document.getElementById("app")!);
