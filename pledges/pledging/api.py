"""The /api/v1/ endpoints of pledges, and the fields and viewset base the implementation's endpoints share.

Every write goes through ``pledges.pledging.services`` and every read through ``pledges.pledging.selectors``;
the viewsets only check the shape of the input, ask ``rules`` and serialize. Persons, euros and percentages are handed
to the services as sent: they are the one place that reads them (``clean_pledge_measure`` and friends), so
the API, the pages and the admin refuse the same input with the same code and words.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from pledges.pledging import filters
from pledges.pledging.models import Pledge, PledgeKind
from pledges.pledging.services import (
    MAX_EUR,
    MAX_RELOCATIONS,
    pledge_create,
    pledge_transition,
    pledge_update,
)
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.api import (
    ETAG,
    IF_MATCH,
    WRITE_ERRORS,
    ActionPermission,
    ListFilterBackend,
    ServiceCreateMixin,
    TransitionActionMixin,
    TransitionNameField,
    TransitionRequestSerializer,
    VersionedUpdateMixin,
    WriteControlFields,
    error_responses,
    expected_version,
    request_example,
    with_etag,
)
from solidarity.platform.hostile_input import RefusesNullCharacters
from solidarity.platform.numbers import plain_decimal_pattern
from solidarity.platform.serializers import RegistryModelSerializer

CYCLE_HELP = "The cycle's year, e.g. 2026."

# --- Fields ----------------------------------------------------------------------------------------------


class _RawNumberField(serializers.Field):
    """A number as the client sent it (JSON number or string), for the service that reads and bounds it.

    ``minimum`` and ``maximum``: the bounds the service holds it to, for the schema.
    """

    default_error_messages = {"invalid": "Give a number, as a JSON number or a string of digits."}

    def __init__(self, *, minimum=None, maximum=None, **kwargs):
        self.bounds = {name: value for name, value in (("minimum", minimum), ("maximum", maximum)) if value is not None}
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        return data


@extend_schema_field({"type": "integer", "example": 150})
class PersonsField(_RawNumberField):
    def to_representation(self, value):
        return int(value)


@extend_schema_field({"type": "string", "format": "decimal", "example": "1250000.00"})
class DecimalStringField(_RawNumberField):
    """A figure for the service that reads it (``read_euros``, ...): text in plain decimal notation, or a whole
    JSON number (exact, as 40 persons are); a JSON number with a fraction is a float, with its rounding, refused.

    The request schema states both (``request_schema``): the text's notation and bounds as a pattern
    (``plain_decimal_pattern``: ``above_zero`` for an amount, ``maximum`` a power of ten, ``below_maximum`` when
    the bound itself is refused, for a percentage), the whole number's as a range. The service rounds to the
    cent, so zeros beyond ``places`` are taken.
    """

    default_error_messages = {"invalid": _('Give the figure as text, e.g. "1250000.00", or as a whole number.')}

    def __init__(
        self,
        *,
        places: int = 2,
        whole_digits: int = 13,
        above_zero=False,
        maximum=None,
        below_maximum=False,
        example="1250000.00",
        **kwargs,
    ):
        self.exponent = Decimal(1).scaleb(-places)
        super().__init__(**kwargs)
        highest = 10**whole_digits - 1 if maximum is None else int(maximum) - (1 if below_maximum else 0)
        text = {
            "type": "string",
            "format": "decimal",
            "pattern": plain_decimal_pattern(
                whole_digits=whole_digits,
                places=places,
                minimum=0,
                above_minimum=above_zero,
                maximum=maximum,
                below_maximum=below_maximum,
                trailing_zeros=True,
            ),
        }
        whole = {"type": "integer", "minimum": 1 if above_zero else 0, "maximum": highest}
        self.request_schema = {"oneOf": [text, whole], "example": example}
        self.schema_example = example

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        # As stored: a value the service just read ("40") reads back as the column keeps it ("40.00").
        return f"{Decimal(value).quantize(self.exponent):f}"


class StateCodeField(serializers.PrimaryKeyRelatedField):
    """A Member State by its Eurostat code, in either case (``be`` is Belgium)."""

    def to_internal_value(self, data):
        return super().to_internal_value(data.strip().upper() if isinstance(data, str) else data)


def _state(help_text: str, **kwargs) -> StateCodeField:
    return StateCodeField(queryset=MemberState.objects.all(), help_text=help_text, **kwargs)


def _cycle() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="year", queryset=SolidarityCycle.objects.all(), help_text=CYCLE_HELP)


def _scope_to_viewer(serializer, fields: dict, name: str, visible_to) -> dict:
    """Let a reference name only objects its writer may see: another one reads as nonexistent (400)."""
    request = serializer.context.get("request")
    if request is not None and request.user.is_authenticated:
        fields[name].queryset = visible_to(request.user)
    return fields


# --- Serializers -------------------------------------------------------------------------------------------


class PledgeSerializer(WriteControlFields, RegistryModelSerializer):
    cycle = _cycle()
    member_state = _state("The pledging state's code; defaults to your own delegation.", required=False)
    kind = serializers.ChoiceField(choices=PledgeKind.choices, help_text="The type of measure (AMMR Art. 56(2)).")
    quantity = PersonsField(
        required=False,
        allow_null=True,
        minimum=1,
        maximum=MAX_RELOCATIONS,
        help_text="Persons to relocate: for a relocation pledge only, a whole number.",
    )
    amount_eur = DecimalStringField(
        above_zero=True,
        maximum=MAX_EUR,
        required=False,
        allow_null=True,
        help_text="Euros, at most two decimals: for a financial contribution or the value of an alternative measure.",
    )
    description = serializers.CharField(
        required=False, allow_blank=True, help_text="Required for an alternative measure (staff, equipment...)."
    )
    earmark = _state("A benefitting state the pledge is meant for, or null.", required=False, allow_null=True)
    relocation_equivalent = serializers.DecimalField(
        max_digits=17,
        decimal_places=2,
        read_only=True,
        help_text="Persons, or euros divided by the cycle's euro value of one relocation (EUR 20 000 in 2026).",
    )
    activated = serializers.DecimalField(
        max_digits=15,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text=(
            "Called by live activations so far, in the pledge's unit (Art. 60(2)). Shown to the parties only (the "
            "pledging state and the state the pledge is earmarked for), the coordinator and auditors: null when "
            "you may not see it, as the activations themselves are not listed to you (Arts 57, 60)."
        ),
    )

    deducted = serializers.DecimalField(
        max_digits=15,
        decimal_places=2,
        read_only=True,
        help_text=(
            "The part of the pledge a Council implementing act deducted (Arts 61-62), in the pledge's unit; "
            "`quantity` / `amount_eur` stay as pledged."
        ),
    )
    binding_measure = serializers.DecimalField(
        max_digits=15,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text=(
            "What the pledge binds the state to, in its unit: as pledged less `deducted` (Art. 61(1), 62(1)); "
            "activations are capped by it."
        ),
    )

    ad_hoc = serializers.BooleanField(
        source="is_ad_hoc",
        read_only=True,
        help_text=(
            "A pledge of a state outside the cycle's key, made on an ad hoc basis (Art. 13(1)): never counted "
            "against an obligation or in coverage."
        ),
    )

    class Meta:
        model = Pledge
        fields = [
            "id",
            "cycle",
            "member_state",
            "kind",
            "quantity",
            "amount_eur",
            "description",
            "earmark",
            "status",
            "version",
            "relocation_equivalent",
            "deducted",
            "binding_measure",
            "activated",
            "ad_hoc",
            "illustrative",
            "created_at",
            "updated_at",
            "reason",
        ]
        read_only_fields = ["status", "illustrative", "created_at", "updated_at"]
        # One live pledge per state, cycle and kind is the service's rule (409 `pledge_exists`), not a form check.
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not instance.implementation_visible_to(request.user):
            data["activated"] = None
        return data


class PledgeTransitionSerializer(TransitionRequestSerializer):
    transition = TransitionNameField(Pledge.USER_TRANSITIONS)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Optional: the version you read (or If-Match); a stale one gets 412."
    )


# --- Viewsets -----------------------------------------------------------------------------------------------

ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The object's id.")
LIST_ERRORS = (400, 403)
READ_ERRORS = (403, 404)
CREATE_ERRORS = (400, 403, 409)
TRANSITION_ERRORS = (400, 403, 404, 409)
NOT_IN_SCOPE = "Rows outside your scope are not listed, and read as 404."


class _ScopedViewSet(RefusesNullCharacters, viewsets.GenericViewSet):
    """Rows come from a selector that scopes them to the user; ``queryset`` names the model for the schema."""

    permission_classes = [ActionPermission]
    filter_backends = [ListFilterBackend]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return self.visible_rows(self.request.user)

    def visible_rows(self, user):
        raise NotImplementedError


def _transition_response(serializer_class, instance) -> Response:
    return with_etag(Response(serializer_class(instance).data), instance)


@extend_schema_view(
    list=extend_schema(
        summary="List pledges",
        description=(
            "Before the Council act (AMMR Art. 57) a state's pledges are seen only by that state, the coordinator "
            "and auditors; recorded pledges of an adopted cycle are public. " + NOT_IN_SCOPE
        ),
        responses={200: PledgeSerializer(many=True), **error_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="One pledge",
        description='The response carries `ETag: "<version>"`.',
        responses={200: PledgeSerializer, **error_responses(*READ_ERRORS)},
        parameters=[ID, ETAG],
    ),
    create=extend_schema(
        summary="Record a pledge (officials, during the pledging exercise)",
        description=(
            "Starts as a `draft` of your own state (`member_state` defaults to it). A relocation pledge gives "
            "`quantity` (persons), a financial one `amount_eur`, an alternative measure `amount_eur` and "
            "`description` (AMMR Art. 56(2)). Amounts that are negative, not numbers, absurdly large or of the "
            "wrong kind get 400 naming the field. 409 `pledge_exists` for a second live relocation or financial "
            "pledge, 409 `pledging_closed` outside the exercise."
        ),
        responses={201: PledgeSerializer, **error_responses(*CREATE_ERRORS)},
        parameters=[ETAG],
        examples=[
            request_example(
                "A financial contribution",
                {"cycle": 2027, "kind": "financial", "amount_eur": "2500000.00", "reason": "Cabinet decision"},
            ),
            request_example(
                "Relocations",
                {"cycle": 2027, "kind": "relocation", "quantity": 150, "earmark": "EL", "reason": "Cabinet decision"},
            ),
            request_example(
                "An alternative measure",
                {
                    "cycle": 2027,
                    "kind": "alternative",
                    "amount_eur": "400000.00",
                    "description": "Ten asylum case workers seconded for six months",
                    "reason": "Offer to the High-Level Forum",
                },
            ),
        ],
    ),
    update=extend_schema(
        summary="Revise a pledge (officials of its state)",
        description=(
            "A draft or submitted pledge, while the cycle is in its pledging exercise; each revision is a new "
            "version in the history. Needs If-Match (or `version`): a stale one gets 412, a missing one 428. "
            "`cycle`, `member_state` and `kind` cannot change; `status` changes only through `transition/`."
        ),
        responses={200: PledgeSerializer, **error_responses(*WRITE_ERRORS, 409)},
        parameters=[ID, IF_MATCH, ETAG],
        examples=[
            request_example(
                "Raise the amount",
                {
                    "cycle": 2027,
                    "member_state": "BE",
                    "kind": "financial",
                    "amount_eur": "3000000.00",
                    "description": "",
                    "earmark": None,
                    "version": 1,
                    "reason": "Budget revised",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change part of a pledge (officials of its state)",
        description="As PUT, with only the fields sent. Needs If-Match (or `version`); a `reason` unless a draft.",
        responses={200: PledgeSerializer, **error_responses(*WRITE_ERRORS, 409)},
        parameters=[ID, IF_MATCH, ETAG],
        examples=[
            request_example("Change the amount", {"amount_eur": "3000000.00", "version": 1, "reason": "Budget revised"})
        ],
    ),
    transition=extend_schema(
        summary="Submit, reopen or withdraw a pledge (officials of its state)",
        description=(
            "`draft -submit-> submitted -reopen-> draft`, `draft|submitted -withdraw-> withdrawn`, during the "
            "pledging exercise. Recording is done by the adoption of the Council act "
            "(`cycles/{year}/transition/`), never on one pledge. 409 when not allowed from the current status or "
            "when pledging is closed, 403 when not permitted, 400 on an unknown transition or a missing reason; "
            "an optional If-Match (or `version`) gets 412 when stale."
        ),
        request=PledgeTransitionSerializer,
        responses={200: PledgeSerializer, **error_responses(*TRANSITION_ERRORS, 412)},
        parameters=[ID, IF_MATCH, ETAG],
        examples=[
            request_example("Submit", {"transition": "submit", "reason": "Approved by the minister"}),
            request_example("Withdraw", {"transition": "withdraw", "reason": "Replaced by a financial pledge"}),
        ],
    ),
)
class PledgeViewSet(
    ServiceCreateMixin,
    VersionedUpdateMixin,
    TransitionActionMixin,
    mixins.ListModelMixin,
    _ScopedViewSet,
):
    queryset = Pledge.objects.none()
    serializer_class = PledgeSerializer
    action_permissions = {
        "create": "pledges.add_pledge",
        "update": "pledges.change_pledge",
        "partial_update": "pledges.change_pledge",
        "transition": "pledges.change_pledge",
    }
    filterset_class = filters.PledgeFilter
    immutable_fields = ("cycle", "member_state", "kind", "status")
    transition_serializer_class = PledgeTransitionSerializer

    def visible_rows(self, user):
        # The API names states by code, read from the pledge's own columns: only the cycle (its year, its euro
        # value of a relocation) is joined, not three objects built per pledge for nothing.
        return Pledge.objects.select_related("cycle").visible_to(user)

    def perform_service_create(self, fields, *, actor, reason):
        return pledge_create(actor=actor, reason=reason, **fields)

    def perform_versioned_update(self, instance, *, changes, expected_version, actor, reason):
        return pledge_update(
            pledge=instance, changes=changes, expected_version=expected_version, actor=actor, reason=reason
        )

    def perform_transition(self, instance, *, data, actor):
        pledge = pledge_transition(
            pledge=instance,
            transition=data["transition"],
            actor=actor,
            reason=data["reason"],
            expected_version=expected_version(self.request),
        )
        # With the request: the response shows the implementation figures its reader may see.
        return with_etag(Response(self.get_serializer(pledge).data), pledge)


def register(router) -> None:
    """Add this module's viewsets to the /api/v1/ router."""
    router.register("pledges", PledgeViewSet, basename="pledge")
