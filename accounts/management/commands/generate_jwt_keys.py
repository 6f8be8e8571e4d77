import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.jwt import thumbprint


class Command(BaseCommand):
    help = "Create the RSA key pair that signs (private) and verifies (public) the JWTs."
    # It must run exactly when the keys are missing or broken, which the system checks report.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--if-missing", action="store_true", help="Do nothing when the private key exists.")
        parser.add_argument("--force", action="store_true", help="Overwrite an existing key pair.")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Keep the current public key as a retired key (tokens it signed still verify) and make a new pair.",
        )
        parser.add_argument("--bits", type=int, default=3072, help="RSA key size (at least 2048).")

    def handle(self, *args, if_missing: bool, force: bool, rotate: bool, bits: int, **options):
        private_path = Path(settings.JWT_PRIVATE_KEY_PATH)
        public_path = Path(settings.JWT_PUBLIC_KEY_PATH)
        if bits < 2048:
            raise CommandError("RSA keys shorter than 2048 bits are not safe for signing tokens.")
        retired_path = None
        if private_path.exists():
            if if_missing:
                self.stdout.write(f"JWT key pair present: {private_path}")
                return
            if rotate:
                retired_path = self._retire(public_path)
            elif not force:
                raise CommandError(
                    f"{private_path} exists; pass --rotate to replace it keeping its tokens valid, "
                    "or --force to replace it (every issued token dies)."
                )

        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        private_path.parent.mkdir(parents=True, exist_ok=True)
        public_path.parent.mkdir(parents=True, exist_ok=True)
        # The private key is readable by its owner only, from the moment it exists.
        descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as private_file:
            private_file.write(private_pem)
        public_path.write_bytes(public_pem)
        kid = thumbprint(key.public_key())
        self.stdout.write(self.style.SUCCESS(f"Wrote {private_path} and {public_path} (RSA {bits}, kid {kid})."))
        if retired_path is not None:
            self.stdout.write(
                f"Kept the previous public key as {retired_path}: add it to JWT_EXTRA_PUBLIC_KEY_PATHS and restart, "
                "and remove it once tokens it signed have expired (JWT_REFRESH_DAYS)."
            )

    def _retire(self, public_path: Path) -> Path:
        if not public_path.exists():
            raise CommandError(f"{public_path} is missing: nothing to keep verifying; use --force.")
        current = serialization.load_pem_public_key(public_path.read_bytes())
        retired_path = public_path.with_name(f"{public_path.stem}.{thumbprint(current)[:12]}.retired.pem")
        retired_path.write_bytes(public_path.read_bytes())
        return retired_path
