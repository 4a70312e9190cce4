"""factory_boy factories for the registry's models; Member States come from the migration."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from pledges.pledging.models import Pledge, PledgeKind
from solidarity.accounts.models import User
from solidarity.domain.models import MemberState, ReferenceFigure, SolidarityCycle

TEST_PASSWORD = "correct-horse-battery-staple"

# The Commission's identification a finding records before it is confirmed (AMMR Art. 60(3)): its first
# Annual Report, COM(2025) 795 of 11 November 2025 (DOMAIN.md).
COMMISSION_REPORT = {
    "commission_report_reference": "COM(2025) 795",
    "commission_report_date": datetime.date(2025, 11, 11),
}


def state(code: str) -> MemberState:
    return MemberState.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.eu")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            self.groups.add(Group.objects.get(name=role))


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SolidarityCycle
        django_get_or_create = ("year",)

    year = 2027
    reference_relocations = 30000
    reference_financial_eur = Decimal("600000000.00")
    proposal_relocations = 30000
    proposal_financial_eur = Decimal("600000000.00")
    implementation_deadline = factory.LazyAttribute(lambda c: datetime.date(c.year, 12, 31))
    # As ``cycle_create`` does: the key's states are the cycle's data, filled from the seed (Art. 66).
    states_in_key = factory.LazyFunction(lambda: list(MemberState.objects.in_key().values_list("code", flat=True)))

    @classmethod
    def _create(cls, model_class, *args, status=None, **kwargs):
        cycle = super()._create(model_class, *args, **kwargs)
        if status and cycle.status != status:
            # Tests start cycles in any stage; production code only moves them by transitions.
            model_class.objects.filter(pk=cycle.pk).update(status=status)
            cycle = model_class.objects.get(pk=cycle.pk)
        return cycle


class ReferenceFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferenceFigure

    cycle = factory.SubFactory(CycleFactory)
    population = 1_000_000
    gdp_eur_million = Decimal("10000.00")


class PledgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pledge

    cycle = factory.SubFactory(CycleFactory)
    member_state = factory.LazyFunction(lambda: state("BE"))
    kind = PledgeKind.FINANCIAL
    amount_eur = Decimal("1000000.00")

    @classmethod
    def _create(cls, model_class, *args, status=None, **kwargs):
        if kwargs.get("kind") == PledgeKind.RELOCATION:
            kwargs.setdefault("quantity", 100)
            kwargs["amount_eur"] = None
        pledge = super()._create(model_class, *args, **kwargs)
        if status and pledge.status != status:
            model_class.objects.filter(pk=pledge.pk).update(status=status)
            pledge = model_class.objects.get(pk=pledge.pk)
        return pledge
