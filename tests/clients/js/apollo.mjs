// The Apollo Client example of docs/clients.md. Usage (the test passes these in env):
//   EDOM_URL=http://host/graphql EDOM_WS_URL=ws://host/graphql EDOM_TOKEN=… \
//   EDOM_BUILDING_ID=… node apollo.mjs
// Prints one JSON line per result: the query's, then the first chat event's.
import { readFileSync } from "node:fs";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { createClient } from "graphql-ws";
import { OperationTypeNode } from "graphql";
import WebSocket from "ws";

const { EDOM_URL, EDOM_WS_URL, EDOM_TOKEN, EDOM_BUILDING_ID } = process.env;
const possibleTypesFile = new URL("../../../schema/possible-types.json", import.meta.url);

// --- apollo client ---
// schema/possible-types.json (written by `edom-graphql export-schema`): without it the
// cache cannot match fragments on Node, UserError and the other interfaces.
const possibleTypes = JSON.parse(readFileSync(possibleTypesFile, "utf-8"));
const http = new HttpLink({
  uri: EDOM_URL,
  headers: { authorization: `Bearer ${EDOM_TOKEN}` },
});
const ws = new GraphQLWsLink(
  createClient({
    url: EDOM_WS_URL,
    webSocketImpl: WebSocket,
    connectionParams: () => ({ authorization: `Bearer ${EDOM_TOKEN}` }),
    shouldRetry: (event) => event?.code !== 4403,
  }),
);
const client = new ApolloClient({
  link: ApolloLink.split(
    ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
    ws,
    http,
  ),
  cache: new InMemoryCache({ possibleTypes }),
});
// --- end ---

const chat = await client.query({
  query: gql`
    query ($id: ID!) { building(id: $id) { chat { id eventsCursor } } }
  `,
  variables: { id: EDOM_BUILDING_ID },
});
console.log(JSON.stringify({ data: chat.data }));
const { id, eventsCursor } = chat.data.building.chat;
// --- apollo subscription ---
const event = await new Promise((resolve, reject) => {
  const subscription = client
    .subscribe({
      query: gql`
        subscription ($chatId: ID!, $after: String) {
          chatMessageEvents(chatId: $chatId, after: $after) { cursor kind message { id body } }
        }
      `,
      variables: { chatId: id, after: eventsCursor },
    })
    .subscribe({
      next: (result) => {
        subscription.unsubscribe();
        resolve(result);
      },
      error: reject,
    });
});
// --- end ---
console.log(JSON.stringify({ data: event.data }));
client.stop();
process.exit(0);
