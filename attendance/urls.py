from django.urls import path

from attendance import views

app_name = "attendance"

urlpatterns = [
    path("check-in/", views.desk, name="desk"),
    path("check-in/search/", views.desk_search, name="desk-search"),
    path("check-in/today/", views.desk_today, name="desk-today"),
    path("card/", views.my_card, name="my-card"),
    path("clients/<int:pk>/card/", views.printed_card, name="printed-card"),
]
