from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from wangge.notifications.models import Notification
from wangge.notifications.services import mark_read

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    case: str | None
    created_at: dt.datetime
    read: bool


class ReadIn(Schema):
    ids: list[int] | None = None


@router.get("/notifications", response=list[NotificationOut], summary="My inbox")
def inbox(request, unread: bool = False):
    queryset = Notification.objects.filter(user=request.user).select_related("case")
    if unread:
        queryset = queryset.filter(read_at__isnull=True)
    return [{"id": n.pk, "kind": n.kind, "text": n.text,
             "case": n.case.number if n.case_id else None, "created_at": n.created_at,
             "read": n.read_at is not None} for n in queryset[:200]]


@router.post("/notifications/read", summary="Mark my notifications read (all, or some ids)")
def read(request, data: ReadIn):
    return {"marked": mark_read(actor=request.user, ids=data.ids)}
