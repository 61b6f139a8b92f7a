from accounts.models import Role


def test_unexpected_error_shows_a_localized_page_without_a_trace(app, client, login_as):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.testing = False  # as in production: the handler, not the exception, answers
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login_as(Role.FACILITATOR)
    response = client.get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Đã có lỗi xảy ra" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_unknown_page_is_a_localized_404(client, login_as):
    login_as(Role.FACILITATOR)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_wrong_method_is_a_localized_405(client, login_as):
    login_as(Role.FACILITATOR)
    response = client.get("/logout")
    assert response.status_code == 405
    assert "Thao tác không hợp lệ" in response.get_data(as_text=True)


def test_over_large_request_is_refused_with_413(client):
    response = client.post("/login", data={"username": "a" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Nội dung gửi lên quá lớn" in response.get_data(as_text=True)


def test_error_pages_in_english_after_choosing_english(client):
    client.post("/language", data={"locale": "en", "next": "/"})
    assert "Page not found" in client.get("/nothing-here").get_data(as_text=True)


def test_an_expired_form_gets_its_own_page_that_says_what_to_do(app, client, login_as):
    app.config["WTF_CSRF_ENABLED"] = True
    login_as(Role.FACILITATOR)
    response = client.post("/language", data={"locale": "en", "csrf_token": "stale"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Biểu mẫu đã hết hạn" in page
    assert "<h1>Biểu mẫu đã hết hạn</h1>" in page
    assert "quay lại" in page.lower() and "tải lại" in page.lower() and "gửi lại" in page.lower()
    assert "Không hiểu được yêu cầu" not in page


def test_a_bad_request_is_said_in_a_plain_sentence(client):
    response = client.post("/language", data={"locale": "fr"})
    assert response.status_code == 400
    assert "Không hiểu được yêu cầu" not in response.get_data(as_text=True)
