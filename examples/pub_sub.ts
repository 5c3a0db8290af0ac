// A Publisher and two Subscribers with different topics, over ipc. Runs unchanged on
//   node examples/pub_sub.ts
//   deno run -A examples/pub_sub.ts
//   bun examples/pub_sub.ts
import { Publisher, Subscriber } from "../mod.ts";

const address = `ipc:///tmp/monocoque-example-${Date.now()}.sock`;
const publisher = new Publisher();
await publisher.bind(address);

const weather = new Subscriber();
weather.subscribe("weather.");
weather.connect(address);
const sport = new Subscriber();
sport.subscribe("sport.");
sport.connect(address);

// Subscriptions travel to the publisher once each subscriber has connected;
// until then a publisher drops what nobody asked for, so wait for both.
const subscribed = Promise.all([weather.events.next("handshake"), sport.events.next("handshake")]);
await subscribed;

const decoder = new TextDecoder();
const received = Promise.all([weather.receive(), sport.receive()]);
// Publish a few times: a subscription may still be in flight on the first send.
const timer = setInterval(() => {
  void publisher.send(["weather.paris", "12°C"]);
  void publisher.send(["sport.tennis", "6-4"]);
}, 10);
const [[wTopic, wBody], [sTopic, sBody]] = await received;
clearInterval(timer);
console.log(decoder.decode(wTopic), decoder.decode(wBody));
console.log(decoder.decode(sTopic), decoder.decode(sBody));

weather.close();
sport.close();
publisher.close();
