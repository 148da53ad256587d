"""Domain errors: one small tree, one status map (used by the API and the CLI)."""

from __future__ import annotations


class GeoserviceError(Exception):
    """Base class. ``detail`` is French, for users; ``title`` is short; ``about`` says, in
    French, what the problem type means and what to do (served at /api/problemes/{slug})."""

    title = "Erreur"
    slug = "error"
    about = ("Erreur du service ; le champ detail dit ce qui s'est passé. Quand le problème "
             "persiste, transmettez la réponse entière à l'administrateur du service.")

    def __init__(self, detail: str, extra: dict | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}
        """More members of the problem+json body (e.g. the current feature on a 412)."""


class InvalidParameter(GeoserviceError):
    title = "Paramètre invalide"
    slug = "invalid-parameter"
    about = ("Un paramètre de la requête est absent, mal écrit, hors des bornes admises ou "
             "inconnu (les paramètres inconnus sont refusés). Le champ detail nomme le "
             "paramètre ; corrigez-le et renvoyez la requête.")


class UntrustedHost(GeoserviceError):
    title = "Hôte non admis"
    slug = "untrusted-host"
    about = ("La requête nomme (en-tête Host) un hôte que ce service ne sert pas : il "
             "n'accepte que les noms configurés (GEOSERVICE_ALLOWED_HOSTS), pour que ses "
             "liens ne puissent pas être détournés vers un autre site.")


class NotFound(GeoserviceError):
    title = "Ressource introuvable"
    slug = "not-found"
    about = ("La collection, l'objet, la proposition ou l'import demandé n'existe pas à "
             "cette adresse. Vérifiez l'identifiant (la liste des collections est à "
             "/api/collections).")


class PayloadTooLarge(GeoserviceError):
    title = "Requête trop volumineuse"
    slug = "payload-too-large"
    about = ("Le corps de la requête dépasse la taille admise par le service (les limites "
             "sont dans le document OpenAPI). Envoyez un fichier plus petit ou découpez-le.")


class RequestTimeout(GeoserviceError):
    title = "Requête trop lente"
    slug = "request-timeout"
    about = ("Le corps de la requête n'est pas arrivé en entier dans le délai admis "
             "(GEOSERVICE_BODY_TIMEOUT) : la connexion est trop lente ou interrompue. "
             "Renvoyez la requête.")


class NotAcceptable(GeoserviceError):
    title = "Format non disponible"
    slug = "not-acceptable"
    about = ("Aucun des formats demandés (paramètre f ou en-tête Accept) n'est disponible "
             "pour cette ressource. Les formats possibles sont listés dans les liens « "
             "alternate » de la réponse normale.")


class UnsupportedMediaType(GeoserviceError):
    title = "Type de contenu non pris en charge"
    slug = "unsupported-media-type"
    about = ("Le type de contenu envoyé (Content-Type) n'est pas accepté par cette route : "
             "par exemple GeoJSON pour une écriture d'objet, CSV ou JSON pour la recherche "
             "par lot.")


class ConfigError(GeoserviceError):
    title = "Configuration invalide"
    slug = "config"
    about = ("La configuration du service est invalide ; l'administrateur doit la corriger "
             "(le détail dit quel réglage).")


class SourceDataError(GeoserviceError):
    """A source file is unreadable, incomplete or not what it claims to be."""

    title = "Données source invalides"
    slug = "source-data"
    about = ("Un fichier de données est illisible, incomplet ou n'est pas ce qu'il prétend "
             "être ; rien n'a été importé.")


class UpstreamUnavailable(GeoserviceError):
    title = "Service externe indisponible"
    slug = "upstream-unavailable"
    about = ("Un service externe dont dépend cette route (le fournisseur d'identité, le "
             "géocodeur de la Base Adresse Nationale) n'a pas répondu ou a répondu de façon "
             "inattendue. Réessayez plus tard.")


class GeocoderUnavailable(UpstreamUnavailable):
    title = "Géocodeur indisponible"
    slug = "geocoder-unavailable"
    about = ("Le géocodeur d'adresses de la Base Adresse Nationale n'a pas répondu ou a "
             "répondu de façon inattendue ; la recherche d'adresse et le géocodage des "
             "imports reprendront quand il répondra. Réessayez plus tard.")


class Unauthorized(GeoserviceError):
    """No credentials, or credentials that are unknown, expired or revoked. ``bearer``:
    an account's token (or session) is what the caller must send (the API then names the
    scheme it expects)."""

    title = "Authentification requise"
    slug = "unauthorized"
    about = ("Cette action demande d'être connecté (session ou jeton) ; les identifiants "
             "manquent, sont inconnus, expirés ou révoqués.")

    def __init__(self, detail: str, extra: dict | None = None, bearer: bool = False
                 ) -> None:
        super().__init__(detail, extra)
        self.bearer = bearer


class Forbidden(GeoserviceError):
    title = "Action non autorisée"
    slug = "forbidden"
    about = ("Vous êtes reconnu, mais cette action n'est pas permise : votre rôle ne le "
             "permet pas (par exemple une modération demandée par un éditeur), le jeton "
             "anti-CSRF manque (en-tête X-CSRF-Token), ou le fournisseur d'identité n'a pas "
             "vérifié votre adresse ou aucun compte actif ne lui correspond.")


class MethodNotAllowed(GeoserviceError):
    title = "Méthode non autorisée"
    slug = "method-not-allowed"
    about = ("Cette méthode HTTP n'est pas admise à cette adresse (par exemple une écriture "
             "sur une couche de référence). L'en-tête Allow donne les méthodes possibles.")

    def __init__(self, detail: str, extra: dict | None = None,
                 allowed: tuple[str, ...] = ()) -> None:
        super().__init__(detail, extra)
        self.allowed = allowed
        """The write actions (create, update, delete) still allowed here: none on a layer
        that is read only."""


class Conflict(GeoserviceError):
    title = "Conflit"
    slug = "conflict"
    about = ("La demande contredit l'état actuel : identifiant déjà pris, proposition déjà "
             "décidée, import déjà appliqué. Rechargez l'état actuel avant de recommencer.")


class LikelyDuplicate(Conflict):
    """A creation that looks like a place the service already has; ``extra["candidates"]``
    lists them (:mod:`geoservice.editing.duplicates`)."""

    title = "Doublon probable"
    slug = "doublon-probable"
    about = ("L'objet à créer ressemble à un objet déjà publié (même adresse, même SIRET, "
             "même identifiant dans la source, ou nom proche tout près) ; le membre "
             "candidates les liste (collection, id, nom, distance_m, raison). Si c'est le "
             "même lieu, modifiez l'objet existant ; si c'est un autre lieu, renvoyez la "
             "création avec l'en-tête « Geoservice-Duplicate: distinct ».")


class Gone(GeoserviceError):
    title = "Objet supprimé"
    slug = "gone"
    about = "L'objet a été supprimé ; son historique reste consultable."

    def __init__(self, detail: str, extra: dict | None = None, version: int | None = None
                 ) -> None:
        super().__init__(detail, extra)
        self.version = version
        """The deleted feature's last version (what a restore must name)."""


class PreconditionFailed(GeoserviceError):
    """The If-Match version is not the current one (someone else wrote in between)."""

    title = "Version périmée"
    slug = "precondition-failed"
    about = ("La version donnée par If-Match n'est plus la version actuelle : quelqu'un a "
             "modifié l'objet entre-temps. Le corps donne la version actuelle ; relisez "
             "l'objet, reportez vos changements et renvoyez avec la nouvelle version.")

    def __init__(self, detail: str, extra: dict | None = None, version: int | None = None
                 ) -> None:
        super().__init__(detail, extra)
        self.version = version
        """The current version (None when the feature no longer exists)."""


class PreconditionRequired(GeoserviceError):
    title = "If-Match requis"
    slug = "precondition-required"
    about = ("Une modification ou une suppression doit dire sur quelle version elle porte "
             "(en-tête If-Match avec l'ETag lu), pour ne jamais écraser le travail de "
             "quelqu'un d'autre.")


class InvalidFeature(GeoserviceError):
    """A write that breaks the layer's schema; ``extra["errors"]`` names each field."""

    title = "Objet invalide"
    slug = "invalid-feature"
    about = ("L'objet envoyé ne respecte pas le schéma de la couche ; le membre errors nomme "
             "chaque champ en cause et ce qui est attendu.")


class TooManyRequests(GeoserviceError):
    title = "Trop de requêtes"
    slug = "too-many-requests"
    about = ("Trop de requêtes ou de tentatives en peu de temps (connexions échouées, "
             "propositions). L'en-tête Retry-After dit dans combien de secondes réessayer.")

    def __init__(self, detail: str, retry_after: int, extra: dict | None = None) -> None:
        super().__init__(detail, extra)
        self.retry_after = retry_after
        """Seconds to wait before trying again."""


class ServiceUnavailable(GeoserviceError):
    title = "Service momentanément indisponible"
    slug = "unavailable"
    about = ("Le service ne peut pas faire cette action pour le moment : par exemple, il est "
             "configuré pour ne servir qu'en lecture (aucun magasin modifiable), ou sa base de "
             "données ne répond pas. L'en-tête Retry-After, quand il est donné, dit dans "
             "combien de secondes réessayer.")

    def __init__(self, detail: str, retry_after: int | None = None,
                 extra: dict | None = None) -> None:
        super().__init__(detail, extra)
        self.retry_after = retry_after
        """Seconds to wait before trying again (None: no hint)."""


class StoreUnavailable(ServiceUnavailable):
    """The database (PostGIS) does not answer: what needs it answers 503 with
    ``Retry-After``; reads served from the snapshot in memory go on."""

    title = "Base de données indisponible"
    slug = "store-unavailable"
    about = ("La base de données du service ne répond pas (arrêt, redémarrage, réseau). Les "
             "lectures de la carte et de l'API continuent depuis la copie en mémoire ; les "
             "modifications, les connexions et ce qui lit la base (historique, modération, "
             "imports, compte) reprendront dès son retour. L'en-tête Retry-After dit dans "
             "combien de secondes réessayer.")

    RETRY_AFTER = 5
    """Seconds a client is told to wait (a restart of PostgreSQL takes a few seconds)."""

    def __init__(self, detail: str, retry_after: int | None = RETRY_AFTER,
                 extra: dict | None = None) -> None:
        super().__init__(detail, retry_after, extra)


class InternalError(GeoserviceError):
    """What the API answers for an exception it did not expect (a bug, always logged)."""

    title = "Erreur interne"
    slug = "internal"
    about = ("Une erreur inattendue du service, enregistrée dans son journal. Le champ "
             "detail et l'en-tête X-Request-Id donnent la référence de la requête : "
             "transmettez-la à l'administrateur du service.")


STATUS: dict[type[GeoserviceError], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    MethodNotAllowed: 405,
    Conflict: 409,
    Gone: 410,
    PreconditionFailed: 412,
    PreconditionRequired: 428,
    InvalidFeature: 422,
    TooManyRequests: 429,
    ServiceUnavailable: 503,
    StoreUnavailable: 503,  # the database is down: reads go on from memory
    UpstreamUnavailable: 502,
    InvalidParameter: 400,
    UntrustedHost: 400,
    NotFound: 404,
    NotAcceptable: 406,
    PayloadTooLarge: 413,
    RequestTimeout: 408,
    UnsupportedMediaType: 415,
    SourceDataError: 422,
    InternalError: 500,
    ConfigError: 500,
}


def status_of_type(kind: type[GeoserviceError]) -> int | None:
    """The HTTP status of a kind of error (its nearest class in STATUS); None for the base
    class, whose status varies."""
    return next((STATUS[cls] for cls in kind.__mro__ if cls in STATUS), None)


def status_of(error: GeoserviceError) -> int:
    return status_of_type(type(error)) or 500
