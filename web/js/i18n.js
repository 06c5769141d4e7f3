// UI strings. Portuguese first; English when the browser prefers it (navigator.languages order).
// The server answers in the operator's language on its own: these are only the page's words.

const STRINGS = {
  pt: {
    title: "Chat TWS",
    skipToInput: "Ir para a caixa de mensagem",
    loading: "Carregando…",
    signInTitle: "Entrar",
    localSignInHint: "Ambiente de desenvolvimento: escolha um usuário e um papel.",
    userLabel: "Usuário",
    roleLabel: "Papel",
    roleOperator: "operador (pode executar ações)",
    roleViewer: "visualizador (só consulta)",
    roleAdmin: "administrador",
    signInButton: "Entrar",
    signInCognito: "Entrar com a conta corporativa",
    signOut: "Sair",
    signedInAs: "{user} ({roles})",
    noRole: "sem papel",
    conversations: "Conversas",
    newConversation: "Nova conversa",
    refresh: "Atualizar lista",
    noConversations: "Nenhuma conversa ainda.",
    currentConversation: "(atual)",
    messages: "Mensagens",
    inputLabel: "Sua mensagem",
    inputHint: "Enter envia; Shift+Enter quebra a linha.",
    send: "Enviar",
    you: "Você",
    agent: "Assistente",
    error: "Erro",
    notice: "Aviso",
    quickReplies: "Respostas rápidas",
    confirm: "Confirmar",
    cancel: "Cancelar",
    statusConnecting: "Conectando…",
    statusOpen: "Conectado",
    statusReconnecting: "Sem conexão. Reconectando em {seconds} s…",
    statusIdle: "Desconectado por inatividade. Escreva para reconectar.",
    statusSignIn: "Entre para continuar.",
    statusOffline: "Sem rede. Reconecta quando a rede voltar.",
    waiting: "O assistente está respondendo…",
    thinking: "O assistente está pensando…",
    tool: "Consultando o TWS ({tool})…",
    toolUnnamed: "Consultando o TWS…",
    receivingParts: "Recebendo a resposta (parte {part} de {parts})…",
    closingIdle: "Conexão encerrada por inatividade.",
    closingMaxDuration: "Conexão encerrada pelo limite de duração; reconectando na mesma conversa.",
    closingOther: "Conexão encerrada pelo servidor ({reason}).",
    conversationLost: "Não foi possível retomar a conversa anterior; esta é uma conversa nova.",
    devMode: "desenvolvimento",
    configError: "Não foi possível carregar a configuração do chat (config.json).",
    signInFailed: "Falha ao entrar: {detail}",
    sessionExpired: "Sua sessão expirou. Entre de novo.",
    stateMismatch: "resposta de login inesperada (state não confere). Tente de novo.",
    gatewayError: "O gateway respondeu: {detail}",
    announceAgent: "Assistente: {text}",
    announceError: "Erro: {text}",
    conversationLabel: "Conversa de {date}",
  },
  en: {
    title: "TWS Chat",
    skipToInput: "Skip to the message box",
    loading: "Loading…",
    signInTitle: "Sign in",
    localSignInHint: "Development environment: pick a user and a role.",
    userLabel: "User",
    roleLabel: "Role",
    roleOperator: "operator (may run actions)",
    roleViewer: "viewer (read only)",
    roleAdmin: "administrator",
    signInButton: "Sign in",
    signInCognito: "Sign in with your company account",
    signOut: "Sign out",
    signedInAs: "{user} ({roles})",
    noRole: "no role",
    conversations: "Conversations",
    newConversation: "New conversation",
    refresh: "Refresh list",
    noConversations: "No conversations yet.",
    currentConversation: "(current)",
    messages: "Messages",
    inputLabel: "Your message",
    inputHint: "Enter sends; Shift+Enter adds a line.",
    send: "Send",
    you: "You",
    agent: "Assistant",
    error: "Error",
    notice: "Notice",
    quickReplies: "Quick replies",
    confirm: "Confirm",
    cancel: "Cancel",
    statusConnecting: "Connecting…",
    statusOpen: "Connected",
    statusReconnecting: "Disconnected. Reconnecting in {seconds} s…",
    statusIdle: "Disconnected after inactivity. Type to reconnect.",
    statusSignIn: "Sign in to continue.",
    statusOffline: "No network. Reconnects when the network is back.",
    waiting: "The assistant is answering…",
    thinking: "The assistant is thinking…",
    tool: "Querying TWS ({tool})…",
    toolUnnamed: "Querying TWS…",
    receivingParts: "Receiving the answer (part {part} of {parts})…",
    closingIdle: "Connection closed after inactivity.",
    closingMaxDuration: "Connection closed at its time limit; reconnecting to the same conversation.",
    closingOther: "Connection closed by the server ({reason}).",
    conversationLost: "The previous conversation could not be resumed; this is a new one.",
    devMode: "development",
    configError: "Could not load the chat's configuration (config.json).",
    signInFailed: "Sign-in failed: {detail}",
    sessionExpired: "Your session expired. Please sign in again.",
    stateMismatch: "unexpected sign-in response (state mismatch). Please try again.",
    gatewayError: "The gateway answered: {detail}",
    announceAgent: "Assistant: {text}",
    announceError: "Error: {text}",
    conversationLabel: "Conversation of {date}",
  },
};

/** "pt" or "en": the first of the browser's preferred languages that we have; Portuguese otherwise. */
export function pickLanguage(languages) {
  for (const tag of languages || []) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith("pt")) return "pt";
    if (lower.startsWith("en")) return "en";
  }
  return "pt";
}

/** t(key, {name: value}) in `lang`; placeholders are filled as plain strings (never markup). */
export function translator(lang) {
  const table = STRINGS[lang] || STRINGS.pt;
  return (key, vars = {}) =>
    (table[key] ?? STRINGS.pt[key] ?? key).replace(/\{(\w+)\}/g, (whole, name) =>
      name in vars ? String(vars[name]) : whole,
    );
}

/** Fill every [data-i18n] element's text under `root` (textContent: strings are never parsed). */
export function applyTranslations(root, t, lang) {
  root.documentElement.lang = lang === "en" ? "en" : "pt-BR";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  root.title = t("title");
}
