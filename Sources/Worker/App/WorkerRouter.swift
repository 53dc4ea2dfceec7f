import Hummingbird
import Logging
import SharedPlatform
import SharedStorage

/// Every route the worker serves, and the middleware in front of them.
enum WorkerRouter {
    static func build(
        runtime: WorkerRuntime, storage: StorageRegistry, site: any ResourceServer, pages: PageRenderer, keyRing: KeyRing,
        metrics: WorkerMetrics = .disabled, logger: Logger
    ) -> Router<WorkerRequestContext> {
        let router = Router(context: WorkerRequestContext.self)
        router.add(middleware: RequestOutcomeMiddleware(
            accessLog: AccessLog(logger: logger, behindProxy: runtime.config.authServer.behindProxy), metrics: metrics.requests))
        HealthcheckRoutes.add(to: router, storage: storage)
        // Every browser asks for an icon; the pages have none. No content, not a 404 each time.
        router.get("/favicon.ico") { _, _ -> Response in
            Response(status: .noContent, headers: [.cacheControl: "public, max-age=86400"])
        }
        let clients: @Sendable () -> ClientRegistry = { runtime.clients }
        let config = runtime.config
        let issuer = config.authServer.url
        let sessions = SessionStore(store: storage.store(.session), secret: config.authServer.sessionSecret, publicURL: issuer)
        let transactions = TransactionStore(store: storage.store(.session))
        let subjects = SubjectIdentifiers(secret: config.authServer.signingKeysSecret)
        let ledger = GrantLedger(
            storage: storage, lifetimes: TokenLifetimes(storage: config.storage),
            minter: JWTAccessTokens(keyRing: keyRing, issuer: issuer, clients: clients, subjects: subjects))
        let scopes = ScopePolicy(siteScopes: site.scopes)
        let users = UserDirectory(store: storage.store(.users), secret: config.authServer.sessionSecret)
        let throttle = Throttle(
            config: config.authServer.throttling, store: storage.store(config.authServer.throttling.group), audit: storage.audit,
            workerCount: config.authServer.workers.resolved(), metrics: metrics.oauth, logger: logger)
        let gate = ClientGate(clients: clients, throttle: throttle, behindProxy: config.authServer.behindProxy, metrics: metrics.oauth)
        let idTokens = IDTokenIssuer(keyRing: keyRing, issuer: issuer, lifetime: config.authServer.idTokenTTL, subjects: subjects)

        APIRoutes(site: site, ledger: ledger, users: users, clients: clients, logger: logger).add(to: router)
        // Each group maps its errors in one place: pages answer a person, the back channel a client.
        let pageRoutes = router.group().add(middleware: PageErrorMiddleware(pages: pages))
        let backChannel = router.group().add(middleware: BackChannelErrorMiddleware())
        LoginRoutes(
            sessions: sessions,
            formTokens: LoginFormTokens(store: storage.store(.session), secret: config.authServer.sessionSecret, publicURL: issuer),
            pages: pages, site: site, users: users, clients: clients, throttle: throttle,
            behindProxy: config.authServer.behindProxy, metrics: metrics.oauth, logger: logger
        ).add(to: pageRoutes)
        AuthorizeRoutes(
            sessions: sessions, transactions: transactions, pages: pages, ledger: ledger, users: users, scopes: scopes, site: site,
            clients: clients, idTokens: idTokens, issuer: issuer, metrics: metrics.oauth, logger: logger
        ).add(to: pageRoutes)
        ReviewRoutes(
            sessions: sessions, transactions: transactions, pages: pages, ledger: ledger, users: users, clients: clients, issuer: issuer
        ).add(to: pageRoutes)
        TokenRoutes(
            gate: gate,
            handlers: [
                AuthorizationCodeGrant(ledger: ledger, idTokens: idTokens),
                RefreshTokenGrant(ledger: ledger, idTokens: idTokens, graceSeconds: config.authServer.refreshTokenGraceSeconds),
                ClientCredentialsGrant(ledger: ledger, scopes: scopes),
            ],
            metrics: metrics.oauth,
            logger: logger
        ).add(to: backChannel)
        RevocationRoutes(gate: gate, ledger: ledger).add(to: backChannel)
        IntrospectionRoutes(gate: gate, ledger: ledger, users: users, issuer: issuer).add(to: backChannel)
        let metadata = AuthorizationServerMetadata(issuer: issuer, scopes: site.scopes)
        MetadataRoutes(document: metadata).add(to: router)
        EndSessionRoutes(sessions: sessions, pages: pages, keyRing: keyRing, clients: clients, issuer: issuer).add(to: pageRoutes)
        UserInfoRoutes(ledger: ledger, users: users, site: site, clients: clients, subjects: subjects).add(to: router)
        OpenIDRoutes(keyRing: keyRing, metadata: metadata, jwksMaxAge: config.authServer.jwksMaxAge).add(to: router)
        return router
    }
}
