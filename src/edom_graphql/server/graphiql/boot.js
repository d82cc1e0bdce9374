/* GraphiQL at /graphql, built from files this server ships (no CDN).

   Queries and mutations are POSTed to /graphql with the headers typed in the Headers
   editor. Subscriptions run over graphql-transport-ws on ws(s)://<this host>/graphql; the
   Authorization header typed there goes in the connection_init payload as
   {authorization: "Bearer …"}, and a new socket is opened whenever it changes.

   This script runs before the libraries (all scripts are deferred, in order): it hands
   the page's style nonce to GraphiQL's scroll lock, which adds a <style> element, and
   renders once the page has loaded. */
"use strict";

(function () {
  const script = document.currentScript;
  const styleNonce = script && script.dataset.styleNonce;
  if (styleNonce) {
    // react-style-singleton (inside GraphiQL) puts this nonce on the <style> it creates.
    window.__webpack_nonce__ = styleNonce;
  }

  const ENDPOINT = "/graphql";
  const SOCKET_URL = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + ENDPOINT;

  const DEFAULT_QUERY = `# GraphiQL for edom-graphql.
#
# Most fields need a signed-in viewer: get a development token with
#
#   edom-graphql token owner
#
# and paste it after "Bearer " in the Headers editor below. Subscriptions use the
# same Authorization header (sent when the WebSocket connects).

query Me {
  viewer {
    user {
      id
      displayName
    }
  }
}
`;
  const DEFAULT_HEADERS = `{
  "Authorization": "Bearer "
}`;

  /* The headers to send: string values, without the empty ones (an "Authorization"
     that holds only "Bearer" carries no credentials and is left out too). */
  function requestHeaders(typed) {
    const headers = {};
    for (const [name, value] of Object.entries(typed || {})) {
      if (value === null || value === undefined) {
        continue;
      }
      const text = String(value).trim();
      if (text === "" || (name.toLowerCase() === "authorization" && /^bearer$/i.test(text))) {
        continue;
      }
      headers[name] = text;
    }
    return headers;
  }

  function authorizationOf(headers) {
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() === "authorization") {
        return value;
      }
    }
    return null;
  }

  function isSubscription(params, documentAST) {
    if (documentAST && Array.isArray(documentAST.definitions)) {
      const operations = documentAST.definitions.filter(
        (definition) => definition.kind === "OperationDefinition",
      );
      const chosen = params.operationName
        ? operations.find((operation) => operation.name && operation.name.value === params.operationName)
        : operations[0];
      return Boolean(chosen && chosen.operation === "subscription");
    }
    return /^\s*subscription\b/m.test(params.query.replace(/#.*$/gm, ""));
  }

  let socket = null;
  let socketAuthorization = null;

  /* One graphql-ws client per Authorization value: a changed token opens a new socket. */
  function socketClient(authorization) {
    if (socket !== null && socketAuthorization === authorization) {
      return socket;
    }
    if (socket !== null) {
      socket.dispose();
    }
    socketAuthorization = authorization;
    socket = window.graphqlWs.createClient({
      url: SOCKET_URL,
      connectionParams: authorization ? { authorization: authorization } : {},
      lazy: true,
      retryAttempts: 0,
    });
    return socket;
  }

  function asError(error) {
    if (error instanceof Error) {
      return error;
    }
    if (error && typeof error.code === "number") {
      // A CloseEvent: the server refused or ended the connection.
      const reason = error.reason ? `: ${error.reason}` : "";
      return new Error(`The WebSocket closed (${error.code}${reason}).`);
    }
    if (Array.isArray(error)) {
      // GraphQL errors of the operation (an "error" message of the protocol).
      return new Error(error.map((item) => item.message).join("\n"));
    }
    return new Error(String(error));
  }

  function subscribe(params, authorization) {
    const client = socketClient(authorization);
    return {
      subscribe(sink) {
        const dispose = client.subscribe(
          { query: params.query, variables: params.variables, operationName: params.operationName },
          {
            next: (value) => sink.next(value),
            error: (error) => sink.error(asError(error)),
            complete: () => sink.complete(),
          },
        );
        return { unsubscribe: dispose };
      },
    };
  }

  async function post(params, headers) {
    const response = await fetch(ENDPOINT, {
      method: "POST",
      credentials: "omit",
      headers: {
        ...headers,
        Accept: "application/graphql-response+json, application/json",
        "Content-Type": "application/json",
      },
      body: JSON.stringify({
        query: params.query,
        variables: params.variables,
        operationName: params.operationName,
      }),
    });
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 200)}` }] };
    }
  }

  function fetcher(params, options) {
    const headers = requestHeaders(options && options.headers);
    if (isSubscription(params, options && options.documentAST)) {
      return subscribe(params, authorizationOf(headers));
    }
    return post(params, headers);
  }

  function render() {
    const root = window.ReactDOM.createRoot(document.getElementById("graphiql"));
    root.render(
      window.React.createElement(window.GraphiQL, {
        fetcher: fetcher,
        defaultQuery: DEFAULT_QUERY,
        defaultHeaders: DEFAULT_HEADERS,
        defaultEditorToolsVisibility: "headers",
        shouldPersistHeaders: false,
      }),
    );
  }

  // Fires after every deferred script, the libraries included, has run.
  document.addEventListener("DOMContentLoaded", render);
})();
