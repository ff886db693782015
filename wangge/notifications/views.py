from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from wangge.notifications.models import Notification
from wangge.notifications.services import mark_read


@login_required
def inbox(request):
    queryset = Notification.objects.filter(user=request.user).select_related("case")
    page = Paginator(queryset, 30).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def read_all(request):
    mark_read(actor=request.user)
    return redirect("inbox")
