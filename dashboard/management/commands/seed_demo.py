"""Create a believable demo club: staff, trainers, members, an exercise catalog, trainings, plans, workouts.

Idempotent: the fixed parts are matched by natural keys and members are numbered (`client00001`, …),
so a second run only tops the club up to `--clients`. Rows go in with bulk inserts, so
`--clients 10000` takes seconds, not minutes.
"""

import datetime
import random
from decimal import Decimal
from itertools import batched

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.models import Role, User
from attendance.demo import demo_visits
from attendance.models import Visit
from classes.demo import seed_timetable
from club.models import (
    DEFAULT_MEMBERSHIP_ID,
    DESK_PAYMENT_METHODS,
    AccessLevel,
    Client,
    ClientStatus,
    Gender,
    Membership,
    MembershipEvent,
    MembershipEventKind,
    MembershipHold,
    Payment,
    PaymentStatus,
    ReceiptSequence,
    ledger_write,
)
from club.services import add_months
from training.models import (
    Complexity,
    Exercise,
    Intensity,
    MuscleGroup,
    PlanStatus,
    Training,
    TrainingExercise,
    TrainingPlan,
    TrainingPlanTraining,
    TrainingType,
)
from workouts.models import WorkoutSession

ADMIN_LOGIN = ("admin", "admin-demo-pass")
TRAINER_LOGINS = [("trainer", "trainer-demo-pass"), ("olga.trainer", "trainer-demo-pass")]
CLIENT_PASSWORD = "client-demo-pass"
BATCH = 2000

MEMBERSHIPS = [
    (AccessLevel.STANDARD, Decimal("29.00"), "Gym floor, weekdays 7:00–17:00"),
    (AccessLevel.PREMIUM, Decimal("49.00"), "Gym floor any time, group classes, sauna"),
    (AccessLevel.VIP, Decimal("99.00"), "Everything, plus two personal sessions a month"),
]

M, C, EQ = MuscleGroup, Complexity, True
EXERCISES = [
    ("Barbell bench press", M.CHEST, C.INTERMEDIATE, EQ),
    ("Incline dumbbell press", M.CHEST, C.INTERMEDIATE, EQ),
    ("Push-up", M.CHEST, C.BEGINNER, False),
    ("Cable fly", M.CHEST, C.BEGINNER, EQ),
    ("Dips", M.CHEST, C.ADVANCED, EQ),
    ("Deadlift", M.BACK, C.ADVANCED, EQ),
    ("Pull-up", M.BACK, C.INTERMEDIATE, EQ),
    ("Bent-over barbell row", M.BACK, C.INTERMEDIATE, EQ),
    ("Lat pulldown", M.BACK, C.BEGINNER, EQ),
    ("Seated cable row", M.BACK, C.BEGINNER, EQ),
    ("Back squat", M.LEGS, C.INTERMEDIATE, EQ),
    ("Front squat", M.LEGS, C.ADVANCED, EQ),
    ("Bodyweight squat", M.LEGS, C.BEGINNER, False),
    ("Walking lunge", M.LEGS, C.BEGINNER, False),
    ("Romanian deadlift", M.LEGS, C.INTERMEDIATE, EQ),
    ("Leg press", M.LEGS, C.BEGINNER, EQ),
    ("Bulgarian split squat", M.LEGS, C.INTERMEDIATE, EQ),
    ("Calf raise", M.LEGS, C.BEGINNER, False),
    ("Barbell curl", M.ARMS, C.BEGINNER, EQ),
    ("Hammer curl", M.ARMS, C.BEGINNER, EQ),
    ("Triceps pushdown", M.ARMS, C.BEGINNER, EQ),
    ("Skull crusher", M.ARMS, C.INTERMEDIATE, EQ),
    ("Overhead press", M.SHOULDERS, C.INTERMEDIATE, EQ),
    ("Lateral raise", M.SHOULDERS, C.BEGINNER, EQ),
    ("Face pull", M.SHOULDERS, C.BEGINNER, EQ),
    ("Arnold press", M.SHOULDERS, C.INTERMEDIATE, EQ),
    ("Plank", M.CORE, C.BEGINNER, False),
    ("Hanging leg raise", M.CORE, C.ADVANCED, EQ),
    ("Russian twist", M.CORE, C.BEGINNER, False),
    ("Ab wheel rollout", M.CORE, C.ADVANCED, EQ),
    ("Dead bug", M.CORE, C.BEGINNER, False),
    ("Burpee", M.FULL_BODY, C.INTERMEDIATE, False),
    ("Kettlebell swing", M.FULL_BODY, C.INTERMEDIATE, EQ),
    ("Clean and jerk", M.FULL_BODY, C.EXPERT, EQ),
    ("Snatch", M.FULL_BODY, C.EXPERT, EQ),
    ("Rowing machine", M.FULL_BODY, C.BEGINNER, EQ),
    ("Thruster", M.FULL_BODY, C.ADVANCED, EQ),
    ("Turkish get-up", M.FULL_BODY, C.EXPERT, EQ),
    ("Mountain climber", M.FULL_BODY, C.BEGINNER, False),
    ("Jump rope", M.FULL_BODY, C.BEGINNER, EQ),
]

FIRST_NAMES = {
    Gender.FEMALE: ["Anna", "Maria", "Olga", "Elena", "Sofia", "Daria", "Alina", "Irina", "Kate", "Laura", "Emma"],
    Gender.MALE: ["Ivan", "Pavel", "Dmitry", "Alexei", "Sergey", "Mark", "Timur", "Oleg", "Nikita", "Lucas", "Ben"],
}
LAST_NAMES = ["Ivanov", "Smirnov", "Kuznetsov", "Popov", "Sokolov", "Lebedev", "Kozlov", "Novak", "Berg", "Moreau"]
TRAINING_TITLES = {
    TrainingType.STRENGTH: ["Upper body strength", "Leg day", "Push day", "Pull day", "Full-body strength"],
    TrainingType.CARDIO: ["Morning cardio", "Interval run", "Rowing endurance"],
    TrainingType.HIIT: ["HIIT circuit", "Tabata blast"],
    TrainingType.YOGA: ["Vinyasa flow", "Mobility yoga"],
    TrainingType.STRETCHING: ["Recovery stretching", "Hip and hamstring stretch"],
}
WORKOUT_TYPES = ["squat", "push_up", "lunge", "burpee", "sit_up"]


class Command(BaseCommand):
    help = "Create (or top up) a believable demo club. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=40, help="Members the club should have (default 40).")
        parser.add_argument("--trainings-per-client", type=int, default=5)
        parser.add_argument("--seed", type=int, default=2026, help="Random seed, for repeatable data.")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where the club is served, for the hint.")

    def handle(self, *args, clients: int, trainings_per_client: int, seed: int, url: str, **options):
        rng = random.Random(seed)
        with transaction.atomic():
            trainers = self.ensure_staff()
            memberships = self.ensure_memberships()
            exercises = self.ensure_exercises()
        existing = User.objects.filter(username__startswith="client", role=Role.USER).count()
        missing = max(clients - existing, 0)
        if missing:
            self.create_members(
                range(existing + 1, existing + missing + 1), rng, trainers, memberships, exercises, trainings_per_client
            )
            self.refresh_planner_statistics()
        # The timetable: ~30 classes a week over 4 weeks, with bookings and waitlists (classes/demo.py).
        classes = seed_timetable(trainers=trainers, rng=rng)
        self.stdout.write(self.style.SUCCESS(f"Demo club ready: {Client.objects.count()} members ({missing} new)."))
        if classes:
            self.stdout.write(f"  {classes} class sessions on the timetable, booked by the members.")
        self.stdout.write(
            f"\n  Open {url}/admin/ (staff) or {url}/dashboard/ (trainers)\n"
            f"  admin:   {ADMIN_LOGIN[0]} / {ADMIN_LOGIN[1]}\n"
            f"  trainer: {TRAINER_LOGINS[0][0]} / {TRAINER_LOGINS[0][1]}\n"
            f"  client:  client00001 / {CLIENT_PASSWORD}\n"
            f"  API docs: {url}/api/docs/\n"
        )

    def refresh_planner_statistics(self) -> None:
        # Bulk inserts leave PostgreSQL's planner with the empty tables' statistics, and the new pages
        # out of the visibility map, until autovacuum comes by: until then list requests count and sort
        # by sequential scans (a paginated list's COUNT(*) over 50,000 trainings: 13 ms, 4 ms after
        # VACUUM lets it read only an index). VACUUM cannot run inside a caller's transaction: ANALYZE then.
        if connection.vendor == "postgresql":
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            with connection.cursor() as cursor:
                for model in (
                    User,
                    Client,
                    Training,
                    TrainingExercise,
                    TrainingPlan,
                    TrainingPlanTraining,
                    WorkoutSession,
                    Payment,
                ):
                    cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")

    def ensure_staff(self) -> list[User]:
        username, password = ADMIN_LOGIN
        if not User.objects.filter(username=username).exists():
            User.objects.create_superuser(username, f"{username}@club.example", password)
        trainers = []
        for username, password in TRAINER_LOGINS:
            trainer = User.objects.filter(username=username).first()
            if trainer is None:
                trainer = User.objects.create_user(username, f"{username}@club.example", password, role=Role.TRAINER)
            trainers.append(trainer)
        return trainers

    def ensure_memberships(self) -> list[Membership]:
        memberships = []
        for level, price, description in MEMBERSHIPS:
            membership, _ = Membership.objects.exclude(pk=DEFAULT_MEMBERSHIP_ID).get_or_create(
                access_level=level, price=price, defaults={"description": description}
            )
            memberships.append(membership)
        return memberships

    def ensure_exercises(self) -> list[Exercise]:
        Exercise.objects.bulk_create(
            [
                Exercise(title=title, muscle_group=group, complexity_lvl=level, equipment_required=equipment)
                for title, group, level, equipment in EXERCISES
            ],
            ignore_conflicts=True,
        )
        return list(Exercise.objects.filter(title__in=[row[0] for row in EXERCISES]))

    def create_members(self, numbers, rng, trainers, memberships, exercises, trainings_per_client) -> None:
        # One hash for every demo member: hashing thousands of passwords would take minutes.
        password_hash = make_password(CLIENT_PASSWORD)
        today = timezone.localdate()
        progress = tqdm(total=len(numbers), desc="members", unit="member", disable=len(numbers) < 200)
        for chunk in batched(numbers, BATCH, strict=False):
            with transaction.atomic():
                users = User.objects.bulk_create(
                    [
                        User(username=f"client{n:05d}", email=f"client{n:05d}@members.example", password=password_hash)
                        for n in chunk
                    ]
                )
                members = Client.objects.bulk_create(
                    [self.member(user, rng, trainers, memberships, today) for user in users]
                )
                self.create_history(members, rng, exercises, trainings_per_client, today)
            progress.update(len(chunk))
        progress.close()

    def member(self, user, rng, trainers, memberships, today) -> Client:
        # No paid-until date here: it comes from the member's sales (and holds), written to the ledger.
        gender = rng.choice([Gender.FEMALE, Gender.MALE])
        return Client(
            user=user,
            membership=rng.choice(memberships),
            first_name=rng.choice(FIRST_NAMES[gender]),
            last_name=rng.choice(LAST_NAMES),
            phone_number=f"+7 9{rng.randint(0, 99):02d} {rng.randint(0, 9999999):07d}",
            gender=gender,
            date_of_birth=today - datetime.timedelta(days=rng.randint(18 * 365, 65 * 365)),
            weight_kg=Decimal(rng.randint(500, 1100)) / 10,
            height_cm=Decimal(rng.randint(1550, 2000)) / 10,
            trainer=rng.choice(trainers),
        )

    def create_history(self, members, rng, exercises, trainings_per_client, today) -> None:
        trainings = []
        for member in members:
            for _ in range(trainings_per_client):
                training_type = rng.choice(list(TRAINING_TITLES))
                trainings.append(
                    Training(
                        client=member,
                        training_type=training_type,
                        title=rng.choice(TRAINING_TITLES[training_type]),
                        intensity=rng.choice(Intensity.values),
                        duration_min=rng.choice([30, 45, 45, 60, 75, 90]),
                        date=today - datetime.timedelta(days=rng.randint(-7, 120)),
                    )
                )
        trainings = Training.objects.bulk_create(trainings, batch_size=BATCH)
        TrainingExercise.objects.bulk_create(
            [
                TrainingExercise(
                    training=training,
                    exercise=exercise,
                    order_in_training=position,
                    sets=rng.randint(2, 5),
                    reps=rng.choice([5, 8, 10, 12, 15]),
                    rest_time_sec=rng.choice([45, 60, 90, 120]),
                    extra_weight=Decimal(rng.randint(0, 100)) if exercise.equipment_required else None,
                )
                for training in trainings
                for position, exercise in enumerate(rng.sample(exercises, rng.randint(3, 6)), start=1)
            ],
            batch_size=BATCH,
        )
        plans = TrainingPlan.objects.bulk_create(
            [
                TrainingPlan(
                    user_id=member.user_id,
                    title=f"{member.first_name}'s {rng.choice(['strength', 'endurance', 'mobility'])} block",
                    status=rng.choice(PlanStatus.values),
                )
                for member in members
            ],
            batch_size=BATCH,
        )
        trainings_of = {}
        for training in trainings:
            trainings_of.setdefault(training.client_id, []).append(training)
        TrainingPlanTraining.objects.bulk_create(
            [
                TrainingPlanTraining(training_plan=plan, training=training)
                for plan, member in zip(plans, members, strict=True)
                for training in trainings_of[member.pk][:3]
            ],
            batch_size=BATCH,
        )
        payments = {member.pk: self.payments(member, rng) for member in members}
        self.give_receipts([payment for rows in payments.values() for payment in rows], rng)
        Payment.objects.bulk_create([payment for rows in payments.values() for payment in rows], batch_size=BATCH)
        self.write_ledger(members, payments, rng, today)
        Visit.objects.bulk_create(demo_visits(members, rng), batch_size=BATCH)  # after the ledger: it reads paid-until
        WorkoutSession.objects.bulk_create(
            [
                WorkoutSession(
                    user_id=member.user_id,
                    exercise_type=rng.choice(WORKOUT_TYPES),
                    total_reps=rng.randint(10, 120),
                    created_at=timezone.now()
                    - datetime.timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600)),
                )
                for member in members
                for _ in range(rng.randint(1, 4))
            ],
            batch_size=BATCH,
        )

    def give_receipts(self, payments: list[Payment], rng: random.Random) -> None:
        """Desk sales: method, who took the money, and receipt numbers in order of payment, per year."""
        admin = User.objects.get(username=ADMIN_LOGIN[0])
        sales = sorted((p for p in payments if p.status == PaymentStatus.PAID), key=lambda p: p.paid_at)
        by_year: dict[int, list[Payment]] = {}
        for payment in sales:
            payment.method, payment.staff = rng.choice(DESK_PAYMENT_METHODS), admin
            by_year.setdefault(timezone.localdate(payment.paid_at).year, []).append(payment)
        for year, rows in by_year.items():
            # The same counter row the sale service locks: seeded numbers and later sales never collide.
            ReceiptSequence.objects.bulk_create([ReceiptSequence(year=year, last_number=0)], ignore_conflicts=True)
            sequence = ReceiptSequence.objects.select_for_update().get(year=year)
            for number, payment in enumerate(rows, start=sequence.last_number + 1):
                payment.receipt_number = f"{year}-{number:06d}"
            sequence.last_number += len(rows)
            sequence.save(update_fields=["last_number"])

    def write_ledger(self, members, payments, rng: random.Random, today: datetime.date) -> None:
        """Each member's paid-until date as the sale rule makes it (one month per paid sale), a hold now and
        then, and the ledger rows that explain every step — the same invariant the services keep."""
        events, holds = [], []
        for member in members:
            paid_until = None
            for payment in sorted(payments[member.pk], key=lambda p: p.created_at):
                if payment.status != PaymentStatus.PAID:
                    continue
                paid_on = timezone.localdate(payment.paid_at)
                before, paid_until = paid_until, add_months(max(paid_on, paid_until or paid_on), 1)
                events.append(
                    MembershipEvent(
                        client=member,
                        kind=MembershipEventKind.SALE,
                        expiration_before=before,
                        expiration_after=paid_until,
                        payment=payment,
                        staff=payment.staff,
                        reason=f"1 × {member.membership}",
                        created_at=payment.paid_at,
                    )
                )
            if paid_until is not None and paid_until >= today and rng.random() < 0.08:
                starts = today - datetime.timedelta(days=rng.randint(0, 5))
                hold = MembershipHold(
                    client=member, starts_on=starts, ends_on=starts + datetime.timedelta(days=rng.randint(6, 13))
                )
                hold.reason = "Holiday"
                holds.append(hold)
                before, paid_until = paid_until, paid_until + datetime.timedelta(days=hold.days)
                events.append(
                    MembershipEvent(
                        client=member,
                        kind=MembershipEventKind.HOLD,
                        expiration_before=before,
                        expiration_after=paid_until,
                        hold=hold,
                        reason=hold.reason,
                    )
                )
            member.expiration_date = paid_until
            member.status = (
                ClientStatus.ON_HOLD
                if holds and holds[-1].client is member
                else ClientStatus.INACTIVE
                if paid_until is not None and paid_until < today
                else ClientStatus.ACTIVE
            )
        MembershipHold.objects.bulk_create(holds, batch_size=BATCH)
        for event in events:
            event.hold_id = event.hold.pk if event.hold is not None else None
        MembershipEvent.objects.bulk_create(events, batch_size=BATCH)
        with ledger_write():  # the events above explain every date set here
            Client.objects.bulk_update(members, ["expiration_date", "status"], batch_size=BATCH)

    def payments(self, member: Client, rng: random.Random) -> list[Payment]:
        """A member's last months of membership payments: mostly paid, now and then pending or failed."""
        now = timezone.now()
        payments = []
        for months_ago in range(rng.randint(1, 4)):
            created = now - datetime.timedelta(days=30 * months_ago + rng.randint(0, 20), minutes=rng.randint(0, 600))
            provider = [s for s in PaymentStatus if s != PaymentStatus.REFUNDED]
            status = PaymentStatus.PAID if months_ago else rng.choices(provider, [10, 80, 4, 3, 3])[0]
            payments.append(
                Payment(
                    client=member,
                    membership=member.membership,
                    amount=member.membership.price,
                    status=status,
                    created_at=created,
                    paid_at=created + datetime.timedelta(minutes=rng.randint(1, 30))
                    if status == PaymentStatus.PAID
                    else None,
                )
            )
        return payments
