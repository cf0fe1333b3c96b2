// Chat template rendering: SmolLM2's embedded ChatML template (including its default
// system turn) and the Gemma 3 turn format.
#include "tokenizer/chat_template.h"

#include <gtest/gtest.h>

#include <vector>

namespace skim::tok {
namespace {

// tokenizer.chat_template of SmolLM2-135M-Instruct.Q4_1.gguf, verbatim.
constexpr std::string_view kSmolTemplate =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' "
    "+ message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt "
    "%}{{ '<|im_start|>assistant\n' }}{% endif %}";

constexpr std::string_view kSmolSystem =
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n";

constexpr std::string_view kGemmaTemplate =
    "{{ bos_token }}{%- if messages[0]['role'] == 'system' -%}...<start_of_turn>...<end_of_turn>...";

TEST(ChatTemplate, SmolLm2InjectsDefaultSystemTurn) {
  const std::vector<ChatMessage> msgs = {{"user", "Hi!"}};
  auto r = apply_chat_template(kSmolTemplate, msgs, true, "");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, std::string(kSmolSystem) + "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, SmolLm2KeepsGivenSystemTurn) {
  const std::vector<ChatMessage> msgs = {
      {"system", "Be brief."}, {"user", "2+2?"}, {"assistant", "4"}, {"user", " again \n"}};
  auto r = apply_chat_template(kSmolTemplate, msgs, false, "");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n"
            "<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\n again \n<|im_end|>\n");
}

TEST(ChatTemplate, SmolLm2EmptyConversation) {
  auto r = apply_chat_template(kSmolTemplate, {}, true, "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "<|im_start|>assistant\n");
}

TEST(ChatTemplate, PlainChatMlHasNoDefaultSystem) {
  const std::vector<ChatMessage> msgs = {{"user", "Hi"}};
  auto r = apply_chat_template("{% for m in messages %}<|im_start|>{{m.role}}...{% endfor %}", msgs, true, "<s>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, Gemma) {
  const std::vector<ChatMessage> msgs = {{"system", "Be helpful."}, {"user", "  Hello\n"}};
  auto r = apply_chat_template(kGemmaTemplate, msgs, true, "<bos>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, "<bos><start_of_turn>user\nBe helpful.\n\nHello<end_of_turn>\n<start_of_turn>model\n");

  const std::vector<ChatMessage> turns = {{"user", "a"}, {"assistant", "b "}, {"user", "c"}};
  r = apply_chat_template(kGemmaTemplate, turns, false, "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r,
            "<start_of_turn>user\na<end_of_turn>\n<start_of_turn>model\nb<end_of_turn>\n"
            "<start_of_turn>user\nc<end_of_turn>\n");
}

TEST(ChatTemplate, GemmaRequiresAlternation) {
  const std::vector<ChatMessage> msgs = {{"user", "a"}, {"user", "b"}};
  EXPECT_FALSE(apply_chat_template(kGemmaTemplate, msgs, true, "").ok());
  const std::vector<ChatMessage> starts_with_model = {{"assistant", "a"}};
  EXPECT_FALSE(apply_chat_template(kGemmaTemplate, starts_with_model, true, "").ok());
  EXPECT_FALSE(apply_chat_template(kGemmaTemplate, {}, true, "").ok());
}

TEST(ChatTemplate, UnknownTemplateIsAnError) {
  const std::vector<ChatMessage> msgs = {{"user", "a"}};
  auto r = apply_chat_template("[INST] {{ messages }} [/INST]", msgs, true, "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unsupported chat template"), std::string::npos);
}

}  // namespace
}  // namespace skim::tok
