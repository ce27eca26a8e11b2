from complaintdesk.accounts.models import ApiToken, User, hash_token


def api_token_issue(*, user: User, name: str) -> str:
    """Create a token and return the raw value: the only moment it exists in clear."""
    raw = ApiToken.new_raw_token()
    ApiToken.objects.create(user=user, name=name, key_hash=hash_token(raw), prefix=raw[:8])
    return raw
